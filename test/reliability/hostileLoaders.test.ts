/**
 * Hostile input to the loaders and to what builds a client (issue 17, point 2): the Image and
 * base64 loaders, `Document`, `PromptTemplate`, the tokenizer, their Promise versions, `new
 * AsyncClient`, `Client.layer`, `AlephAlphaHttp.layer` and `UndiciHttpClient.layer`, given
 * anything untyped JavaScript can pass (see hostileValues.ts), end in a success or one of their
 * declared error classes: never a synchronous throw from a function that returns an `Effect`,
 * never a defect, never a rejection with a raw `TypeError`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Docx from "docx"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Redacted, Scope } from "effect"
import * as fc from "fast-check"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  AlephAlphaHttp,
  AsyncClient,
  AsyncLoaders,
  Client,
  Image,
  isAlephAlphaError,
  loadBase64FromFile,
  loadBase64FromUrl,
  Tokenization,
  ValidationError
} from "../../src/index.js"
import { Document, documentFromDocxBytes } from "../../src/document/index.js"
import { AsyncFileLoaders, NodeFileSystem, UndiciHttpClient } from "../../src/node/index.js"
import { PromptTemplate, promptTemplate, renderPromptTemplate } from "../../src/template/index.js"
import { AlephAlphaTest } from "../../src/testing/index.js"
import { asyncTokenizer, tokenizer, tokenizerFromJson } from "../../src/tokenizer/index.js"
import { type Hostile, hostile, revoked } from "./hostileValues.js"

// ---------------------------------------------------------------------------------------------
// what the loaders load: an image and a docx in files, the image on a loopback server

/** The header of a 3×2 PNG: all the loaders read of it. */
const png = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
  0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0, 0, 0, 0, 0
])

let dir: string
let pngPath: string
let docxPath: string
let docxBytes: Uint8Array
let server: http.Server
let pngUrl: string
let tokenizerJsonText: string
let template: PromptTemplate

const testRuntime = ManagedRuntime.make(AlephAlphaTest.layer({ client: { totalRetries: 0 } }))
const runtime = ManagedRuntime.make(Layer.merge(NodeFileSystem.layerReadFile, FetchHttpClient.layer))

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "aleph-alpha-hostile-"))
  pngPath = join(dir, "image.png")
  await writeFile(pngPath, png)
  docxBytes = new Uint8Array(await Docx.Packer.toBuffer(new Docx.Document({ sections: [{ children: [new Docx.Paragraph("A paragraph")] }] })))
  docxPath = join(dir, "document.docx")
  await writeFile(docxPath, docxBytes)
  server = http.createServer((_, response) => response.writeHead(200, { "content-type": "image/png" }).end(png))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  pngUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.png`
  tokenizerJsonText = await testRuntime.runPromise(Effect.flatMap(Tokenization, (t) => t.tokenizerJson("luminous-base")))
  template = await Effect.runPromise(PromptTemplate.make("Describe {{ thing }}"))
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await rm(dir, { recursive: true, force: true })
  await runtime.dispose()
  await testRuntime.dispose()
})

// ---------------------------------------------------------------------------------------------
// the outcome rule

/** The exit is a success or one of `tags`: no defect, and a failure of the client's own. */
const expectTyped = (exit: Exit.Exit<unknown, unknown>, tags: ReadonlyArray<string>, what: string) => {
  if (Exit.isSuccess(exit)) return
  expect([...Cause.defects(exit.cause)], `${what}: a defect\n${Cause.pretty(exit.cause)}`).toEqual([])
  const failures = [...Cause.failures(exit.cause)]
  expect(failures.length, `${what}: ${Cause.pretty(exit.cause)}`).toBe(1)
  expect(isAlephAlphaError(failures[0]), `${what}: not an error of the client`).toBe(true)
  expect(tags, what).toContain((failures[0] as { _tag: string })._tag)
}

/** Calls `f` on each valid argument or its hostile replacement (built afresh). */
const argumentsFor = (valid: () => ReadonlyArray<unknown>, keys?: ReadonlyArray<string>) =>
  fc.array(fc.option(hostile(valid(), keys), { nil: undefined, freq: 2 }), {
    minLength: valid().length,
    maxLength: valid().length
  })

const build = (valid: ReadonlyArray<unknown>, replacements: ReadonlyArray<Hostile | undefined>) =>
  valid.map((value, i) => (replacements[i] === undefined ? value : replacements[i]!.make()))

const label = (replacements: ReadonlyArray<Hostile | undefined>) =>
  replacements.map((r, i) => r?.label ?? `valid argument ${i}`).join(", ")

const numRuns = Number(process.env.FUZZ_RUNS ?? 25)

/** The hostile arguments fast-check always tries: a revoked proxy, and `null`, in first place. */
const always = (arity: number) => [
  [Array.from({ length: arity }, () => undefined)],
  [[{ label: "a revoked proxy", make: () => revoked } as Hostile]],
  [[{ label: "null", make: () => null } as Hostile]]
] as Array<[Array<Hostile | undefined>]>

const media = ["MediaError"]
const mediaOrValidation = ["MediaError", "ValidationError"]
const optionKeys = [
  "maxBytes",
  "timeout",
  "thing",
  "token",
  "host",
  "headers",
  "tags",
  "requestTimeout",
  "transport",
  "connectionLimit",
  "requestId",
  "logLevel",
  "logger",
  "proxy",
  "ca",
  "cert",
  "key",
  "verifySsl"
]

interface Loader {
  readonly name: string
  readonly valid: () => ReadonlyArray<unknown>
  readonly call: (...args: Array<any>) => Effect.Effect<unknown, unknown, any>
  readonly tags: ReadonlyArray<string>
}

const options = { maxBytes: 1_000_000, timeout: "10 seconds" }

const loaders: ReadonlyArray<Loader> = [
  { name: "Image.fromBytes", valid: () => [png, undefined, []], call: Image.fromBytes, tags: mediaOrValidation },
  { name: "Image.fromFile", valid: () => [pngPath, []], call: Image.fromFile, tags: mediaOrValidation },
  { name: "Image.fromFileWithCropping", valid: () => [pngPath, 0, 0, 1, []], call: Image.fromFileWithCropping, tags: mediaOrValidation },
  { name: "Image.fromUrl", valid: () => [pngUrl, [], options], call: Image.fromUrl, tags: mediaOrValidation },
  {
    name: "Image.fromUrlWithCropping",
    valid: () => [new URL(pngUrl), 0, 0, 1, [], options],
    call: Image.fromUrlWithCropping,
    tags: mediaOrValidation
  },
  { name: "Image.fromImageSource", valid: () => [pngUrl, [], options], call: Image.fromImageSource, tags: mediaOrValidation },
  { name: "loadBase64FromFile", valid: () => [pngPath], call: loadBase64FromFile, tags: media },
  { name: "loadBase64FromUrl", valid: () => [pngUrl, options], call: loadBase64FromUrl, tags: media },
  { name: "Document.fromDocxBytes", valid: () => [docxBytes], call: Document.fromDocxBytes, tags: media },
  { name: "Document.fromDocxFile", valid: () => [docxPath], call: Document.fromDocxFile, tags: media },
  { name: "PromptTemplate.make", valid: () => ["Describe {{ thing }}"], call: PromptTemplate.make, tags: ["ValidationError"] },
  {
    name: "template.toPrompt",
    valid: () => [{ thing: "this" }],
    call: (variables: Record<string, unknown>) => template.toPrompt(variables),
    tags: ["ValidationError"]
  },
  { name: "tokenizerFromJson", valid: () => [tokenizerJsonText], call: tokenizerFromJson, tags: ["DecodeError"] }
]

describe("the loaders on hostile input: a success or a declared error, never a throw or a defect", () => {
  for (const loader of loaders) {
    it(loader.name, async () => {
      let succeeded = false
      await fc.assert(
        fc.asyncProperty(argumentsFor(loader.valid, optionKeys), async (replacements) => {
          const what = `${loader.name}(${label(replacements)})`
          let result: unknown
          try {
            result = loader.call(...build(loader.valid(), replacements))
          } catch (thrown) {
            expect.fail(`${what} threw synchronously: ${String(thrown)}`)
          }
          const exit = await runtime.runPromiseExit(result as Effect.Effect<unknown, unknown>)
          if (Exit.isSuccess(exit)) succeeded = true
          expectTyped(exit, loader.tags, what)
        }),
        { numRuns, examples: always(loader.valid().length) }
      )
      // the valid call, always tried first, loads
      expect(succeeded).toBe(true)
    }, 120_000)
  }

  it("tokenizer(model) fails with a declared error for any model", async () => {
    await fc.assert(
      fc.asyncProperty(argumentsFor(() => ["luminous-base"]), async (replacements) => {
        const [model] = build(["luminous-base"], replacements)
        const exit = await testRuntime.runPromiseExit(tokenizer(model as string))
        expectTyped(exit, ["ValidationError", "DecodeError", "NotFoundError", "TransportError"], `tokenizer(${label(replacements)})`)
      }),
      { numRuns, examples: always(1) }
    )
  }, 120_000)

  it("Document.fromText and fromPrompt return a document or throw a ValidationError", () => {
    fc.assert(
      fc.property(argumentsFor(() => [["a text"]]), (replacements) => {
        const [value] = build([["a text"]], replacements)
        for (const make of [Document.fromText, Document.fromPrompt]) {
          try {
            make(value as never)
          } catch (thrown) {
            expect(thrown, `${make.name}(${label(replacements)})`).toBeInstanceOf(ValidationError)
          }
        }
      }),
      { numRuns, examples: always(1) }
    )
  })
})

// ---------------------------------------------------------------------------------------------
// the Promise loaders

interface PromiseLoader {
  readonly name: string
  readonly valid: () => ReadonlyArray<unknown>
  readonly call: (...args: Array<any>) => Promise<unknown>
}

const asyncClient = () => new AsyncClient({ token: "hostile", host: "http://127.0.0.1:9/v1", totalRetries: 0, transport: "fetch" })

const promiseLoaders: ReadonlyArray<PromiseLoader> = [
  { name: "AsyncLoaders.imageFromUrl", valid: () => [pngUrl, [], options], call: AsyncLoaders.imageFromUrl },
  { name: "AsyncLoaders.imageFromUrlWithCropping", valid: () => [pngUrl, 0, 0, 1], call: AsyncLoaders.imageFromUrlWithCropping },
  { name: "AsyncLoaders.imageFromBytes", valid: () => [png], call: AsyncLoaders.imageFromBytes },
  { name: "AsyncLoaders.imageDimensions", valid: () => [new Image({ base64: Buffer.from(png).toString("base64") })], call: AsyncLoaders.imageDimensions },
  { name: "AsyncLoaders.base64FromUrl", valid: () => [pngUrl, options], call: AsyncLoaders.base64FromUrl },
  { name: "AsyncFileLoaders.imageFromFile", valid: () => [pngPath], call: AsyncFileLoaders.imageFromFile },
  { name: "AsyncFileLoaders.imageFromFileWithCropping", valid: () => [pngPath, 0, 0, 1], call: AsyncFileLoaders.imageFromFileWithCropping },
  { name: "AsyncFileLoaders.imageFromSource", valid: () => [pngPath], call: AsyncFileLoaders.imageFromSource },
  { name: "AsyncFileLoaders.base64FromFile", valid: () => [pngPath], call: AsyncFileLoaders.base64FromFile },
  { name: "documentFromDocxBytes", valid: () => [docxBytes], call: documentFromDocxBytes },
  { name: "promptTemplate", valid: () => ["Describe {{ thing }}"], call: promptTemplate },
  { name: "renderPromptTemplate", valid: () => [template, { thing: "this" }], call: renderPromptTemplate },
  { name: "asyncTokenizer", valid: () => [asyncClient(), "luminous-base"], call: asyncTokenizer }
]

describe("the Promise loaders on hostile input reject only with the client's error classes", () => {
  for (const loader of promiseLoaders) {
    it(loader.name, async () => {
      await fc.assert(
        fc.asyncProperty(argumentsFor(loader.valid, optionKeys), async (replacements) => {
          const what = `${loader.name}(${label(replacements)})`
          const valid = loader.valid()
          const args = build(valid, replacements)
          let result: Promise<unknown>
          try {
            result = loader.call(...args)
          } catch (thrown) {
            return expect.fail(`${what} threw synchronously: ${String(thrown)}`)
          }
          const rejection = await result.then(() => undefined, (e: unknown) => e ?? "rejected with nothing")
          for (const arg of valid) if (arg instanceof AsyncClient) await arg.close()
          if (rejection !== undefined) expect(isAlephAlphaError(rejection), `${what} rejected with ${String(rejection)}`).toBe(true)
        }),
        { numRuns: Math.max(5, Math.floor(numRuns / 2)), examples: always(loader.valid().length) }
      )
    }, 120_000)
  }
})

// ---------------------------------------------------------------------------------------------
// what builds a client

const validOptions = () => ({ token: "hostile", host: "http://127.0.0.1:9/v1", totalRetries: 0, transport: "fetch" })
const redactedOptions = () => ({ ...validOptions(), token: Redacted.make("hostile") })

describe("options from untyped code: a client or a ValidationError, never a raw throw or a defect", () => {
  it("new AsyncClient(options) returns a client or throws the ValidationError", async () => {
    await fc.assert(
      fc.asyncProperty(argumentsFor(() => [validOptions()], optionKeys), async (replacements) => {
        const [value] = build([validOptions()], replacements)
        let client: AsyncClient | undefined
        try {
          client = new AsyncClient(value as never)
        } catch (thrown) {
          expect(thrown, `new AsyncClient(${label(replacements)}) threw ${String(thrown)}`).toBeInstanceOf(ValidationError)
        }
        await client?.close()
      }),
      { numRuns: numRuns * 2, examples: always(1) }
    )
  }, 120_000)

  type AnyLayer = Layer.Layer<never, unknown, any>
  const layers: ReadonlyArray<readonly [string, (options: never) => AnyLayer, () => unknown]> = [
    ["Client.layer", Client.layer, redactedOptions],
    ["AlephAlphaHttp.layer", AlephAlphaHttp.layer, redactedOptions],
    ["UndiciHttpClient.layer", UndiciHttpClient.layer, () => ({ connectionLimit: 2, verifySsl: true })]
  ]
  for (const [name, layer, valid] of layers) {
    it(`${name}(options) builds or fails with a ValidationError`, async () => {
      await fc.assert(
        fc.asyncProperty(argumentsFor(() => [valid()], optionKeys), async (replacements) => {
          const [value] = build([valid()], replacements)
          const what = `${name}(${label(replacements)})`
          let built: AnyLayer
          try {
            built = layer(value as never)
          } catch (thrown) {
            return expect.fail(`${what} threw synchronously: ${String(thrown)}`)
          }
          const exit = await Effect.runPromiseExit(
            Effect.scoped(Effect.flatMap(Scope.Scope, (scope) => Layer.buildWithScope(built, scope))).pipe(
              Effect.provide(FetchHttpClient.layer)
            ) as Effect.Effect<unknown, unknown>
          )
          expectTyped(exit, ["ValidationError"], what)
        }),
        { numRuns, examples: always(1) }
      )
    }, 120_000)
  }
})

// ---------------------------------------------------------------------------------------------
// the known cases, one by one

const failureOf = async <E>(effect: Effect.Effect<unknown, E, any>): Promise<E> => {
  const exit = await runtime.runPromiseExit(effect as Effect.Effect<unknown, E>)
  expectTyped(exit, ["ValidationError", "MediaError", "DecodeError"], "a failure")
  return Cause.squash((exit as Exit.Failure<unknown, E>).cause) as E
}

describe("the known cases", () => {
  it("bytes that are a Proxy or not bytes are a ValidationError at bytes, a MediaError where that is the only failure", async () => {
    expect(await failureOf(Image.fromBytes(new Proxy(png, {}) as Uint8Array))).toMatchObject({
      _tag: "ValidationError",
      path: "bytes",
      issue: "expected a Uint8Array, got an object",
      subject: "Image.fromBytes"
    })
    expect(await failureOf(Image.fromBytes(null as never))).toMatchObject({ _tag: "ValidationError", path: "bytes" })
    expect(await failureOf(Document.fromDocxBytes(revoked as never))).toMatchObject({
      _tag: "MediaError",
      source: "Document.fromDocxBytes(bytes)"
    })
  })

  it("a path that is not a string, and URL options that are wrong or throw, name the argument", async () => {
    expect(await failureOf(Image.fromFile(42 as never))).toMatchObject({ _tag: "ValidationError", path: "path" })
    expect(await failureOf(loadBase64FromFile(Symbol("path") as never))).toMatchObject({
      _tag: "MediaError",
      message: "Invalid argument path: expected a string, got symbol"
    })
    expect(await failureOf(Image.fromUrl(pngUrl, [], { maxBytes: "many" } as never))).toMatchObject({
      _tag: "ValidationError",
      path: "options.maxBytes"
    })
    const throwing = { get timeout() { throw new TypeError("a getter threw") } }
    expect(await failureOf(loadBase64FromUrl(pngUrl, throwing as never))).toMatchObject({
      _tag: "MediaError",
      message: "Invalid argument options: could not be read (TypeError: a getter threw)"
    })
  })

  it("options that are not an object, or throw when read, are the ValidationError of new AsyncClient and Client.layer", async () => {
    for (const options of [null, 42, "token", undefined]) {
      expect(() => new AsyncClient(options as never)).toThrow(
        expect.objectContaining({ _tag: "ValidationError", issue: expect.stringContaining("expected an options object") })
      )
    }
    const getter = { ...validOptions(), get host() { throw new TypeError("a getter threw") } }
    expect(() => new AsyncClient(getter as never)).toThrow(expect.objectContaining({ _tag: "ValidationError", path: "host" }))
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Layer.build(Client.layer(revoked as never))).pipe(Effect.provide(FetchHttpClient.layer))
    )
    expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBeInstanceOf(ValidationError)
  })
})
