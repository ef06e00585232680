import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import { Effect, Layer, ManagedRuntime, Redacted, Schema } from "effect"
import {
  AbortError,
  AsyncClient,
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
import { FakeServer, Fault, Loopback } from "../src/testing/index.js"

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

describe("AsyncClient", () => {
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
})
