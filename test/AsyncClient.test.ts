import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { Effect, Layer, ManagedRuntime, Redacted, Schema } from "effect"
import {
  AbortError,
  AsyncClient as PortableAsyncClient,
  AsyncLoaders,
  BatchSemanticEmbeddingRequest,
  type ClientService,
  DetokenizationRequest,
  EmbeddingRequest,
  EmbeddingV2Request,
  EvaluationRequest,
  ExplanationRequest,
  Image,
  InstructableEmbeddingRequest,
  MediaError,
  RerankRequest,
  SemanticEmbeddingRequest,
  SteeringConceptCreationRequest,
  SteeringPairedExample,
  TokenizationRequest,
  TranslationRequest,
  BusyError,
  ChatRequest,
  ChatResponse,
  ClientClosedError,
  CompletionRequest,
  CompletionResponse,
  Message,
  Prompt,
  QuotaError,
  ValidationError
} from "../src/index.js"
import { documentFromDocxBytes } from "../src/document/index.js"
// the build Node loads ("node" export condition): undici by default
import { AsyncClient } from "../src/index.node.js"
import { AsyncFileLoaders } from "../src/node/index.js"
import { promptTemplate, renderPromptTemplate } from "../src/template/index.js"
import { FakeServer, Fault } from "../src/testing/index.js"
import { asyncTokenizer } from "../src/tokenizer/index.js"
import { Loopback } from "../src/testing/node/index.js"

// one fake server on 127.0.0.1 for the file, driven from Promise code as a user would
const server = ManagedRuntime.make(Loopback.layer().pipe(Layer.provideMerge(FakeServer.layer())))
let url = ""
const fake = <A>(f: (server: FakeServer.Service) => Effect.Effect<A>) => server.runPromise(Effect.flatMap(FakeServer.FakeServer, f))
const openConnections = () => server.runPromise(Effect.flatMap(Loopback.Loopback, (s) => s.openConnections))
const settled = async () => {
  for (let i = 0; i < 100 && (await openConnections()) > 0; i++) await new Promise((r) => setTimeout(r, 50))
  return openConnections()
}

beforeAll(async () => {
  url = (await server.runPromise(Loopback.Loopback)).url
})
afterAll(() => server.dispose())
// each test starts with no queued fault and no recorded request
beforeEach(() => fake((s) => s.reset))

const chatModel = "llama-3.1-8b-instruct"
const chatRequest = new ChatRequest({
  model: chatModel,
  messages: [new Message({ role: "user", content: "one two three four five six seven eight nine ten" })],
  maximumTokens: 10
})
const completion = new CompletionRequest({ prompt: Prompt.fromText("an apple a day"), maximumTokens: 4 })

const newClient = (options: Partial<ConstructorParameters<typeof AsyncClient>[0]> = {}) =>
  new AsyncClient({ token: "async-token", host: `${url}/v1`, totalRetries: 0, ...options })

// every Client method has its AsyncClient twin
type Missing = Exclude<keyof ClientService, keyof AsyncClient>
const everyMethodCovered: [Missing] extends [never] ? true : Missing = true
void everyMethodCovered

describe("AsyncClient", () => {
  it("makes the calls of every other family", async () => {
    await using client = newClient()
    const prompt = Prompt.fromText("the quick brown fox")
    const embedded = await client.embed(new EmbeddingRequest({ prompt, layers: [0], pooling: ["mean"] }), "luminous-base")
    expect(embedded.embeddings.layer_0!.mean!.length).toBeGreaterThan(0)
    const semantic = await client.semanticEmbed(
      new SemanticEmbeddingRequest({ prompt, representation: "symmetric", compressToSize: 128 }),
      "luminous-base"
    )
    expect(semantic.embedding).toHaveLength(128)
    const batchRequest = new BatchSemanticEmbeddingRequest({
      prompts: Array.from({ length: 5 }, (_, i) => Prompt.fromText(`prompt ${i}`)),
      representation: "symmetric"
    })
    const batch = await client.batchSemanticEmbed(batchRequest, "luminous-base", { batchSize: 2, concurrency: 2 })
    expect(batch.embeddings).toHaveLength(5)
    const offsets: Array<number> = []
    for await (const part of client.batchSemanticEmbedStream(batchRequest, "luminous-base", { batchSize: 2 })) {
      offsets.push(part.offset)
    }
    expect(offsets.sort()).toEqual([0, 2, 4])
    const instructable = await client.instructableEmbed(
      new InstructableEmbeddingRequest({ input: prompt, instruction: "Represent the text" }),
      "luminous-base"
    )
    expect(instructable.embedding.length).toBeGreaterThan(0)
    const v2 = await client.embeddings(new EmbeddingV2Request({ input: "hello" }), "luminous-base")
    expect(v2.data).toHaveLength(1)

    const explanation = await client.explain(new ExplanationRequest({ prompt, target: " jumps" }), "luminous-base")
    expect(explanation.explanations.length).toBeGreaterThan(0)
    const evaluation = await client.evaluate(new EvaluationRequest({ prompt, completionExpected: " jumps" }), "luminous-base")
    expect(evaluation.result.logProbability).toBeTypeOf("number")

    const tokens = await client.tokenize(new TokenizationRequest({ prompt: "hello world", tokens: true, tokenIds: true }), "luminous-base")
    const text = await client.detokenize(new DetokenizationRequest({ tokenIds: tokens.tokenIds! }), "luminous-base")
    expect(text.result.trim()).toBe("hello world")
    const tokenizer = await asyncTokenizer(client, "luminous-base")
    expect(tokenizer.decode(tokenizer.encode("hello world").ids).trim()).toBe("hello world")

    const translation = await client.translate(
      new TranslationRequest({ model: "pharia-1-mt-translation", source: "Hello.", targetLanguage: "de" })
    )
    expect(translation.translation).not.toBe("")
    const reranked = await client.rerank(new RerankRequest({ query: "fox", documents: ["a cat", "a fox"] }), "bge-reranker-v2-m3")
    expect(reranked.results[0]!.index).toBe(1)
    const concept = await client.createSteeringConcept(
      new SteeringConceptCreationRequest({ examples: [new SteeringPairedExample({ negative: "formal", positive: "casual" })] })
    )
    expect(concept.id).toMatch(/^[0-9a-f]+$/)
  })

  it("makes every call with Promises and AsyncIterables", async () => {
    await using client = newClient()
    const completed = await client.complete(completion, "luminous-base")
    expect(completed).toBeInstanceOf(CompletionResponse)
    const events = []
    for await (const event of client.completeWithStreaming(completion, "luminous-base")) events.push(event)
    expect(events[events.length - 1]!._tag).toBe("CompletionSummary")

    const chat = await client.chat(chatRequest)
    expect(chat).toBeInstanceOf(ChatResponse)
    let streamed = ""
    for await (const event of client.chatWithStreaming(chatRequest)) {
      if (event._tag === "ChatStreamChunk") streamed += event.content
    }
    expect(streamed).toBe(chat.message.content)

    const Answer = Schema.Struct({ answer: Schema.String })
    expect(await client.chatStructured(chatRequest, Answer)).toEqual({ answer: expect.any(String) })

    expect((await client.models()).map((model) => model.name)).toContain("luminous-base")
    expect(await client.getVersion()).toBe("1.19.0")
    expect(await client.validateVersion()).toBe("1.19.0")
    const requests = await fake((s) => s.requests)
    expect(requests.every((request) => request.headers.authorization === "Bearer async-token")).toBe(true)
  })

  it("rejects with the same error classes as the Effect API, never a FiberFailure", async () => {
    await using client = newClient()
    await fake((s) => s.script(Fault.Status({ status: 402, body: { error: "no credits", code: "QUOTA" } })))
    const quota = await client.models().catch((error: unknown) => error)
    expect(quota).toBeInstanceOf(QuotaError)
    expect(quota).toMatchObject({ _tag: "QuotaError", status: 402, code: "QUOTA", error: "no credits" })
    await fake((s) => s.script(Fault.Status({ status: 503, body: "busy" })))
    const busy = await client.getVersion().catch((error: unknown) => error)
    expect(busy).toBeInstanceOf(BusyError)
    expect(String(busy)).not.toContain("FiberFailure")
    const bad = await client.complete(new CompletionRequest({ prompt: Prompt.fromText("x"), n: 0 }, { disableValidation: true }), "luminous-base")
      .catch((error: unknown) => error)
    expect(bad).toBeInstanceOf(ValidationError)
    expect(bad).toMatchObject({ _tag: "ValidationError", path: "n" })
  })

  it("takes plain requests, and rejects a bad one with a ValidationError naming the field before sending it", async () => {
    await using client = newClient()
    const plain = await client.chat({ model: chatModel, messages: [{ role: "user", content: "hi" }], streamOptions: { include_usage: true } })
    expect(plain.message.text).not.toBe("")
    const sent = (await fake((s) => s.requests)).at(-1)!.body
    expect(sent).toMatchObject({ messages: [{ role: "user", content: "hi" }], stream_options: { include_usage: true } })
    const events = []
    for await (const event of client.chatWithStreaming({ model: chatModel, messages: [{ role: "user", content: "hi" }] })) events.push(event)
    expect(events.some((event) => event._tag === "ChatFinish")).toBe(true)
    await fake((s) => s.reset)
    const bad = await client.chat({ model: chatModel, messages: [{ role: "user", content: null } as never] })
      .catch((error: unknown) => error)
    expect(bad).toBeInstanceOf(ValidationError)
    expect(bad).toMatchObject({ path: "messages.0.content", subject: "ChatRequest" })
    const badPrompt = await client.complete({ prompt: [{ type: "text", data: 1 } as never] }, "luminous-base")
      .catch((error: unknown) => error)
    expect(badPrompt).toMatchObject({ _tag: "ValidationError", path: "prompt.0.text", subject: "CompletionRequest" })
    expect(await fake((s) => s.requests)).toEqual([])
  })

  it("aborting a call rejects with an AbortError and closes its connection", async () => {
    await using client = newClient()
    await fake((s) => s.script(Fault.StallHeaders({})))
    const controller = new AbortController()
    const pending = client.chat(chatRequest, undefined, { signal: controller.signal })
    // abort once the server holds the request (and has taken the stall for it)
    for (let i = 0; i < 100 && (await fake((s) => s.requests)).length === 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(await openConnections()).toBeGreaterThan(0)
    controller.abort()
    const error = await pending.catch((error: unknown) => error)
    expect(error).toBeInstanceOf(AbortError)
    expect((error as Error).name).toBe("AbortError")
    expect(await settled()).toBe(0)
    // an already aborted signal rejects without a request
    const before = (await fake((s) => s.requests)).length
    await expect(client.models({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError)
    expect((await fake((s) => s.requests)).length).toBe(before)
  })

  it("aborting a stream mid-way rejects with an AbortError and closes its connection", async () => {
    await using client = newClient()
    await fake((s) => s.script(Fault.StallStream({ afterEvents: 3 })))
    const controller = new AbortController()
    const received: Array<unknown> = []
    const error = await (async () => {
      for await (const event of client.chatWithStreaming(chatRequest, undefined, { signal: controller.signal })) {
        received.push(event)
        if (received.length === 2) setTimeout(() => controller.abort(), 10)
      }
    })().catch((error: unknown) => error)
    expect(error).toBeInstanceOf(AbortError)
    expect(received.length).toBeGreaterThanOrEqual(2)
    expect(await settled()).toBe(0)
  })

  it("aborting a stream hands out no further event, even of a chunk already received", async () => {
    await using client = newClient()
    const controller = new AbortController()
    const received: Array<string> = []
    const error = await (async () => {
      // the whole answer may arrive in one read: the abort must still stop it at once
      for await (const event of client.chatWithStreaming(chatRequest, undefined, { signal: controller.signal })) {
        received.push(event._tag)
        if (event._tag === "ChatStreamChunk" && event.content !== "") controller.abort()
      }
    })().catch((error: unknown) => error)
    expect(error).toBeInstanceOf(AbortError)
    expect(received.filter((tag) => tag === "ChatStreamChunk").length).toBeLessThanOrEqual(2)
    expect(received).not.toContain("ChatFinish")
  })

  it("hands out every event once and in order to next() calls made without waiting, then ends", async () => {
    await using client = newClient()
    const expected: Array<unknown> = []
    for await (const event of client.completeWithStreaming(completion, "luminous-base")) expected.push(event)
    expect(expected.length).toBeGreaterThan(2)
    // each [Symbol.asyncIterator]() is a stream of its own, and next() calls queue behind each other
    const iterator = client.completeWithStreaming(completion, "luminous-base")[Symbol.asyncIterator]()
    const results = await Promise.all(Array.from({ length: expected.length + 2 }, () => iterator.next()))
    expect(results.map((result) => result.value)).toEqual([...expected, undefined, undefined])
    expect(results.map((result) => result.done)).toEqual([...expected.map(() => false), true, true])
    expect(await settled()).toBe(0)
  })

  it("return() before the end closes the request, and later next() calls are done", async () => {
    await using client = newClient()
    await fake((s) => s.script(Fault.StallStream({ afterEvents: 3 })))
    const iterator = client.chatWithStreaming(chatRequest)[Symbol.asyncIterator]()
    expect((await iterator.next()).done).toBe(false)
    expect(await iterator.return!()).toEqual({ done: true, value: undefined })
    expect(await iterator.next()).toEqual({ done: true, value: undefined })
    expect(await settled()).toBe(0)
  })

  it("leaving a for await loop early closes the request", async () => {
    await using client = newClient()
    await fake((s) => s.script(Fault.StallStream({ afterEvents: 3 })))
    for await (const event of client.chatWithStreaming(chatRequest)) {
      expect(event._tag).toBe("ChatStreamChunk")
      break
    }
    expect(await settled()).toBe(0)
  })

  it("after close() calls reject with ClientClosedError and the connections are released", async () => {
    const client = newClient()
    await client.models()
    await client.close()
    expect(await settled()).toBe(0)
    await expect(client.models()).rejects.toBeInstanceOf(ClientClosedError)
    const iterate = async () => {
      for await (const _ of client.chatWithStreaming(chatRequest)) { /* never reached */ }
    }
    await expect(iterate()).rejects.toBeInstanceOf(ClientClosedError)
  })

  it("takes the token as a string or Redacted, and checks the options when constructed", () => {
    expect(() => new AsyncClient({ token: Redacted.make("t"), host: url })).not.toThrow()
    expect(() => new AsyncClient({ token: "", host: url })).toThrow(ValidationError)
    expect(() => new AsyncClient({ token: "t", host: "not a url" })).toThrow(/host/)
  })

  it("can use fetch (or a custom fetch) instead of undici", async () => {
    let calls = 0
    const countingFetch: typeof fetch = (input, init) => {
      calls++
      return fetch(input, init)
    }
    await using viaFetch = newClient({ transport: "fetch" })
    expect(await viaFetch.getVersion()).toBe("1.19.0")
    await using custom = newClient({ transport: countingFetch })
    expect(await custom.getVersion()).toBe("1.19.0")
    expect(calls).toBe(1)
  })

  // fetch sends `sec-fetch-mode: cors` on every request, undici's Agent.request sends nothing of the kind
  const transportOf = async (client: PortableAsyncClient) => {
    await fake((s) => s.reset)
    await client.getVersion()
    const [request] = await fake((s) => s.requests)
    return request?.headers["sec-fetch-mode"] === undefined ? "undici" : "fetch"
  }

  it("defaults to undici in the Node build and to fetch in the portable build, on Bun and on Deno", async () => {
    const options = { token: "t", host: `${url}/v1` }
    expect(AsyncClient).not.toBe(PortableAsyncClient)
    await using node = new AsyncClient(options)
    expect(node).toBeInstanceOf(PortableAsyncClient)
    expect(await transportOf(node)).toBe("undici")
    await using portable = new PortableAsyncClient(options)
    expect(await transportOf(portable)).toBe("fetch")
    expect(() => new PortableAsyncClient({ ...options, transport: "undici" })).toThrow(/undici transport runs on Node only/)
    for (const runtime of ["Bun", "Deno"]) {
      const global = globalThis as Record<string, unknown>
      global[runtime] = {}
      try {
        await using client = new AsyncClient(options)
        expect(await transportOf(client)).toBe("fetch")
        if (runtime === "Bun") expect(() => new AsyncClient({ ...options, transport: "undici" })).toThrow(ValidationError)
      } finally {
        delete global[runtime]
      }
    }
  })
})

describe("AsyncLoaders", () => {
  it("loads images, base64 and documents and renders templates without running an Effect", async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises")
    const { tmpdir } = await import("node:os")
    const { join } = await import("node:path")
    const { deflateSync } = await import("node:zlib")
    // a 1×1 PNG made here: signature, IHDR, IDAT, IEND (CRCs are not checked by image-size)
    const chunk = (type: string, data: Buffer) => {
      const head = Buffer.alloc(8)
      head.writeUInt32BE(data.length, 0)
      head.write(type, 4, "ascii")
      return Buffer.concat([head, data, Buffer.alloc(4)])
    }
    const ihdr = Buffer.alloc(13)
    ihdr.writeUInt32BE(1, 0)
    ihdr.writeUInt32BE(1, 4)
    ihdr.set([8, 2, 0, 0, 0], 8)
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", ihdr),
      chunk("IDAT", deflateSync(Buffer.from([0, 0, 0, 0]))),
      chunk("IEND", Buffer.alloc(0))
    ])
    const dir = await mkdtemp(join(tmpdir(), "aa-loaders-"))
    const file = join(dir, "pixel.png")
    await writeFile(file, png)
    const image = await AsyncFileLoaders.imageFromFile(file)
    expect(image).toBeInstanceOf(Image)
    expect(await AsyncLoaders.imageDimensions(image)).toMatchObject({ width: 1, height: 1 })
    expect(await AsyncFileLoaders.base64FromFile(file)).toBe(png.toString("base64"))
    expect((await AsyncFileLoaders.imageFromSource(file)).base64).toBe(png.toString("base64"))
    expect((await AsyncLoaders.imageFromBytes(png)).base64).toBe(png.toString("base64"))
    await expect(AsyncFileLoaders.imageFromFile(join(dir, "missing.png"))).rejects.toBeInstanceOf(MediaError)
    await expect(documentFromDocxBytes(new TextEncoder().encode("plain text"))).rejects.toBeInstanceOf(MediaError)
    const template = await promptTemplate("Look: {{ image }} {% for w in words %}{{ w | upcase }} {% endfor %}")
    const rendered = await renderPromptTemplate(template, { image: template.placeholder(image), words: ["a", "b"] })
    expect(rendered.items.map((item) => item.type)).toEqual(["text", "image", "text"])
    await expect(promptTemplate("{% for %}")).rejects.toBeInstanceOf(ValidationError)
  })
})
