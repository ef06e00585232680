import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Docx from "docx"
import * as Effect from "effect/Effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { deflateSync } from "node:zlib"
import { Image, MediaError, Prompt, Text, Tokens } from "../src/index.js"
import { NodeFileSystem } from "../src/node/index.js"
import { Document } from "../src/document/index.js"

// A small valid PNG, generated here (zlib-compressed RGB scanlines).
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (const byte of bytes) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type: string, data: Uint8Array): Buffer => {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, "latin1")
  out.set(data, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}
const makePng = (width: number, height: number): Buffer => {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const raw = Buffer.alloc(height * (1 + width * 3), 0x80)
  for (let y = 0; y < height; y++) raw[y * (1 + width * 3)] = 0
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array())
  ])
}

const png = makePng(4, 3)

let dir: string
let docxPath: string
let docxWithImagePath: string
let docxBytes: Buffer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aleph-alpha-docx-"))

  const plain = new Docx.Document({
    sections: [{
      children: [
        new Docx.Paragraph({ text: "A Title", heading: Docx.HeadingLevel.HEADING_1 }),
        new Docx.Paragraph({ children: [new Docx.TextRun("First paragraph, "), new Docx.TextRun({ text: "bold", bold: true })] }),
        new Docx.Paragraph(""),
        new Docx.Paragraph("Second paragraph: 1 < 2 & \"quotes\""),
        new Docx.Paragraph("Third paragraph")
      ]
    }]
  })
  docxBytes = await Docx.Packer.toBuffer(plain)
  docxPath = join(dir, "plain.docx")
  await writeFile(docxPath, docxBytes)

  const withImage = new Docx.Document({
    sections: [{
      children: [
        new Docx.Paragraph("Before the picture"),
        new Docx.Paragraph({
          children: [new Docx.ImageRun({ type: "png", data: png, transformation: { width: 40, height: 30 } })]
        }),
        new Docx.Paragraph("After the picture")
      ]
    }]
  })
  docxWithImagePath = join(dir, "image.docx")
  await writeFile(docxWithImagePath, await Docx.Packer.toBuffer(withImage))

  await writeFile(join(dir, "notes.docx"), "this is plain text, not a docx")
})

afterAll(() => rm(dir, { recursive: true, force: true }))

describe("Document.fromDocxFile", () => {
  it.effect("yields the paragraphs of a generated docx in order", () =>
    Effect.gen(function*() {
      const document = yield* Document.fromDocxFile(docxPath)
      const prompt = document.toPrompt()
      expect(prompt).toBeInstanceOf(Prompt)
      expect(prompt.items).toHaveLength(1)
      const text = prompt.items[0]
      expect(text).toBeInstanceOf(Text)
      expect((text as Text).text).toBe(
        "A Title\n\nFirst paragraph, bold\n\nSecond paragraph: 1 < 2 & \"quotes\"\n\nThird paragraph"
      )
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))

  it.effect("turns an embedded image into an Image item between the texts around it", () =>
    Effect.gen(function*() {
      const document = yield* Document.fromDocxFile(docxWithImagePath)
      const items = document.toPrompt().items
      expect(items.map((item) => item.type)).toEqual(["text", "image", "text"])
      expect((items[0] as Text).text).toBe("Before the picture")
      expect((items[2] as Text).text).toBe("After the picture")
      const image = items[1] as Image
      expect(image.base64).toBe(png.toString("base64"))
      expect(yield* image.dimensions()).toEqual({ width: 4, height: 3, type: "png" })
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))

  it.effect("serialises to the Python wire form {docx: base64 of the file}", () =>
    Effect.gen(function*() {
      const document = yield* Document.fromDocxFile(docxPath)
      expect(document.toJSON()).toEqual({ docx: docxBytes.toString("base64") })
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))

  it.effect("fails with a MediaError naming a file that is not a docx", () =>
    Effect.gen(function*() {
      const path = join(dir, "notes.docx")
      const error = yield* Effect.flip(Document.fromDocxFile(path))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.source).toBe(path)
      expect(error.message).toMatch(/docx/)
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))

  it.effect("fails with a MediaError naming a missing file", () =>
    Effect.gen(function*() {
      const path = join(dir, "missing.docx")
      const error = yield* Effect.flip(Document.fromDocxFile(path))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.source).toBe(path)
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))
})

describe("Document.fromDocxBytes", () => {
  it.effect("reads docx bytes like a file", () =>
    Effect.gen(function*() {
      const document = yield* Document.fromDocxBytes(new Uint8Array(docxBytes))
      expect((document.toPrompt().items[0] as Text).text).toMatch(/^A Title\n\nFirst paragraph/)
    }))

  it.effect("fails with a MediaError on bytes that are not a docx", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Document.fromDocxBytes(png))
      expect(error).toBeInstanceOf(MediaError)
    }))
})

describe("Document from text and prompts", () => {
  it("serialises fromText to {text} and turns it into one text item", () => {
    const document = Document.fromText("Some text")
    expect(document.toJSON()).toEqual({ text: "Some text" })
    expect(document.toPrompt().items).toEqual([new Text({ text: "Some text" })])
  })

  it("serialises fromPrompt to {prompt} with plain strings as text items with empty controls", () => {
    const document = Document.fromPrompt(["a string", Tokens.fromTokenIds([1, 2])])
    expect(JSON.stringify(document.toJSON())).toBe(JSON.stringify({
      prompt: [
        { type: "text", data: "a string", controls: [] },
        { type: "token_ids", data: [1, 2], controls: [] }
      ]
    }))
    const prompt = Prompt.fromText("hi")
    expect(Document.fromPrompt(prompt).toPrompt()).toBe(prompt)
  })
})
