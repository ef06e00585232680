/**
 * `Document` (api-reference §5.1). In the Python client a document only wraps a docx as base64
 * for endpoints the API has since removed; this one keeps that wire form (`toJSON()`) and also
 * reads the docx itself with **mammoth** (loaded when first used), so that `toPrompt()` turns
 * it into a `Prompt` for the current endpoints.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { MediaError, ValidationError } from "../errors/AlephAlphaError.js"
import { Image, Prompt, type PromptItem, Text } from "../schema/Prompt.js"
import { describeValue, isInstance } from "../schema/internal/untypedInput.js"
import { validationErrorFromParseError } from "../schema/SafeClass.js"
import { validationErrorFromThrow } from "../schema/internal/thrown.js"
import * as ImageSource from "./ImageSource.js"
import { bytesArgument, stringArgument, unloadable, withArguments } from "./internal/loaderArguments.js"

/** The wire form of a document (§5.1). */
export type DocumentJson =
  | { readonly docx: string }
  | { readonly text: string }
  | { readonly prompt: ReadonlyArray<unknown> }

type Content =
  | { readonly _tag: "Docx"; readonly bytes: Uint8Array; readonly prompt: Prompt }
  | { readonly _tag: "Text"; readonly text: string }
  | { readonly _tag: "Prompt"; readonly prompt: Prompt }

type Mammoth = typeof import("mammoth")

let mammothModule: Promise<Mammoth> | undefined

const loadMammoth = (source: string): Effect.Effect<Mammoth, MediaError> =>
  Effect.tryPromise({
    try: () =>
      mammothModule ??= import("mammoth").then((module) =>
        (module as unknown as { default?: Mammoth }).default ?? (module as unknown as Mammoth)
      ),
    catch: (cause) => {
      mammothModule = undefined
      return new MediaError({ source, message: "Could not load the mammoth package to read the docx: it is an optional peer dependency, install it with `npm install mammoth`", cause })
    }
  })

/** Paragraphs are separated by a blank line in the prompt text (as mammoth's `extractRawText` does). */
const PARAGRAPH_SEPARATOR = "\n\n"

/** Elements whose start or end ends the current paragraph in mammoth's HTML. */
const blockTags: ReadonlySet<string> = new Set([
  "p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "thead", "tbody", "tr", "td", "th",
  "blockquote", "pre", "div", "hr", "dl", "dt", "dd"
])

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: "\u00a0" }

const unescapeHtml = (text: string): string =>
  text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const code = entity[1] === "x" || entity[1] === "X"
        ? Number.parseInt(entity.slice(2), 16)
        : Number.parseInt(entity.slice(1), 10)
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return entities[entity.toLowerCase()] ?? whole
  })

/**
 * Splits mammoth's HTML into prompt items: paragraph texts joined by a blank line, and the
 * embedded images (their `src` is our marker `index`) in document order.
 */
const itemsFromHtml = (html: string, images: ReadonlyArray<Image | undefined>, marker: string): Array<PromptItem> => {
  const items: Array<PromptItem> = []
  const paragraphs: Array<string> = []
  let current = ""
  const endParagraph = () => {
    if (current.trim() !== "") paragraphs.push(current.trim())
    current = ""
  }
  const flushText = () => {
    endParagraph()
    if (paragraphs.length > 0) items.push(new Text({ text: paragraphs.join(PARAGRAPH_SEPARATOR) }))
    paragraphs.length = 0
  }
  const token = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|([^<]+)/g
  for (let match = token.exec(html); match !== null; match = token.exec(html)) {
    const [, closing, rawName, attributes, text] = match
    if (text !== undefined) {
      current += unescapeHtml(text)
      continue
    }
    const name = (rawName ?? "").toLowerCase()
    if (name === "br") {
      current += "\n"
    } else if (name === "img" && closing === "") {
      const src = /\ssrc="([^"]*)"/.exec(attributes ?? "")?.[1]
      if (src !== undefined && src.startsWith(marker)) {
        const image = images[Number(src.slice(marker.length))]
        if (image !== undefined) {
          flushText()
          items.push(image)
        }
      }
    } else if (blockTags.has(name)) {
      endParagraph()
    }
  }
  flushText()
  return items
}

/** Reads a docx with mammoth into prompt items. Not a docx (or a damaged one) → `MediaError`. */
const docxToPrompt = (bytes: Uint8Array, source: string): Effect.Effect<Prompt, MediaError> =>
  Effect.gen(function*() {
    const mammoth = yield* loadMammoth(source)
    const marker = `aleph-alpha-image-${globalThis.crypto.randomUUID()}-`
    const images: Array<Image | undefined> = []
    const convertImage = mammoth.images.imgElement(async (image) => {
      const index = images.length
      images.push(undefined)
      try {
        const data = new Uint8Array(await image.readAsArrayBuffer())
        // Only images the API can take (PNG, JPEG, GIF, WebP, BMP); EMF/WMF drawings are skipped.
        const checked = await Effect.runPromise(Effect.either(ImageSource.checkImage(data)))
        if (checked._tag === "Right") images[index] = new Image({ base64: ImageSource.encodeBase64(data) })
      } catch {
        // an unreadable embedded image is skipped, not fatal
      }
      return { src: `${marker}${index}` }
    })
    // mammoth's Node build reads `buffer`, its browser build `arrayBuffer`.
    const input = {
      buffer: bytes as unknown as Buffer,
      arrayBuffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    }
    const result = yield* Effect.tryPromise({
      try: () => mammoth.convertToHtml(input, { convertImage, externalFileAccess: false }),
      catch: (cause) =>
        new MediaError({
          source,
          message: `Not a readable docx (${cause instanceof Error ? cause.message : String(cause)})`,
          cause
        })
    })
    return new Prompt(itemsFromHtml(result.value, images, marker), true)
  })

/**
 * A document: a docx file, a text or a prompt.
 *
 * * `Document.fromDocxFile(path)` / `Document.fromDocxBytes(bytes)` read the docx with mammoth
 *   (a file that is not a docx is a `MediaError`); `toPrompt()` then gives its paragraphs in
 *   order, separated by a blank line, with embedded images as `Image` items where mammoth gives
 *   them (formats the API cannot take, such as EMF, are skipped).
 * * `Document.fromText(text)`, `Document.fromPrompt(prompt)`.
 *
 * `toJSON()` is the Python client's wire form: `{"docx": base64}`, `{"text": …}` or
 * `{"prompt": [...]}`.
 */
export class Document implements Inspectable.Inspectable {
  private constructor(private readonly content: Content) {}

  /** Reads a docx file (through `FileSystem`). A missing file or a non-docx is a `MediaError` naming the path. */
  static fromDocxFile(path: string): Effect.Effect<Document, MediaError, FileSystem.FileSystem> {
    return withArguments(unloadable("Document.fromDocxFile"), () => {
      const file = stringArgument(path, "path")
      return Effect.flatMap(ImageSource.readFileBytes(file), (bytes) => Document.fromDocx(bytes, file))
    })
  }

  /** Reads docx bytes. Bytes that are not a docx are a `MediaError`. */
  static fromDocxBytes(bytes: Uint8Array): Effect.Effect<Document, MediaError> {
    return withArguments(unloadable("Document.fromDocxBytes"), () => {
      const docx = bytesArgument(bytes, "bytes")
      return Document.fromDocx(docx, ImageSource.describeBytes(docx))
    })
  }

  private static fromDocx(bytes: Uint8Array, source: string): Effect.Effect<Document, MediaError> {
    return Effect.map(docxToPrompt(bytes, source), (prompt) => new Document({ _tag: "Docx", bytes, prompt }))
  }

  /** A plain-text document. Throws a `ValidationError` when `text` is not a string. */
  static fromText(text: string): Document {
    if (typeof text !== "string") {
      throw new ValidationError({ path: "", issue: `expected a string, got ${describeValue(text)}`, subject: "Document" })
    }
    return new Document({ _tag: "Text", text })
  }

  /**
   * A document from a prompt, or from a list of items where plain strings become `Text` items
   * without controls (as in Python). Throws a `ValidationError` naming the index when an
   * element is not a string, `Text`, `Image` or `Tokens` (or when the list cannot be read).
   */
  static fromPrompt(prompt: Prompt | ReadonlyArray<PromptItem | string>): Document {
    let value: Prompt
    try {
      if (prompt instanceof Prompt) {
        value = prompt
      } else if (Array.isArray(prompt)) {
        value = new Prompt(prompt.map((item) => typeof item === "string" ? new Text({ text: item }) : item))
      } else {
        throw new ValidationError({
          path: "",
          issue: `expected a Prompt or an array of items, got ${describeValue(prompt)}`,
          subject: "Document"
        })
      }
    } catch (thrown) {
      throw isInstance(thrown, ValidationError)
        ? thrown
        : isInstance(thrown, ParseResult.ParseError)
        ? validationErrorFromParseError(thrown as ParseResult.ParseError, "Document")
        : validationErrorFromThrow(thrown, prompt, "Document")
    }
    return new Document({ _tag: "Prompt", prompt: value })
  }

  /** The document as a prompt: the docx's paragraphs and images, the text, or the prompt. */
  toPrompt(): Prompt {
    switch (this.content._tag) {
      case "Text":
        return Prompt.fromText(this.content.text)
      case "Docx":
      case "Prompt":
        return this.content.prompt
    }
  }

  /** The wire form of §5.1: `{"docx": base64}`, `{"text": …}` or `{"prompt": [...]}`. */
  toJSON(): DocumentJson {
    switch (this.content._tag) {
      case "Docx":
        return { docx: ImageSource.encodeBase64(this.content.bytes) }
      case "Text":
        return { text: this.content.text }
      case "Prompt":
        return { prompt: Schema.encodeSync(Prompt)(this.content.prompt) as ReadonlyArray<unknown> }
    }
  }

  toString(): string {
    const kind = this.content._tag
    return kind === "Docx" ? `Document(docx, ${this.content.bytes.length} bytes)` : `Document(${kind.toLowerCase()})`
  }

  [Inspectable.NodeInspectSymbol](): unknown {
    return this.toString()
  }
}
