/**
 * Per-call overrides (`AlephAlphaHttp.withCallOptions`, `AsyncClient`'s trailing options) win
 * over the client's options; request ids are sent on request and carried by errors; each attempt
 * is logged at `Debug`, with no secret and no prompt text in the log.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import {
  Duration,
  Effect,
  Fiber,
  HashMap,
  Layer,
  Logger,
  LogLevel,
  ManagedRuntime,
  Redacted,
  Schedule,
  Schema,
  Stream,
  TestClock
} from "effect"
import {
  AlephAlphaHttp,
  type AlephAlphaHttpOptions,
  AsyncClient,
  BusyError,
  ChatRequest,
  Client,
  type LogEntry,
  Message,
  RequestTimeoutError,
  TransportError,
  ValidationError
} from "../src/index.js"
import { AlephAlphaTest, FakeServer, Fault, InMemory } from "../src/testing/index.js"

const model = "llama-3.1-8b-instruct"
const chatRequest = new ChatRequest({ model, messages: [new Message({ role: "user", content: "hi" })], maximumTokens: 4 })

const requests = Effect.flatMap(FakeServer.FakeServer, (server) => server.requests)
const script = (...faults: ReadonlyArray<Fault.Fault>) => Effect.flatMap(FakeServer.FakeServer, (server) => server.script(...faults))
const busy = (times: number) => Fault.Status({ status: 503, body: { error: "busy", code: "QUEUE_FULL" }, times })

/** The test layer with these client options; retries by `Schedule.recurs` wait for no clock. */
const testLayer = (client: Partial<AlephAlphaHttpOptions>) => AlephAlphaTest.layer({ client })

const chat = (request: ChatRequest = chatRequest) => Effect.flatMap(Client, (client) => client.chat(request))

describe("AlephAlphaHttp.withCallOptions", () => {
  it.effect("replaces the client's retry policy: totalRetries and retrySchedule win", () =>
    Effect.gen(function*() {
      // the client retries 3 times
      yield* script(busy(10))
      const plain = yield* Effect.flip(chat())
      expect(plain).toBeInstanceOf(BusyError)
      expect((yield* requests).length).toBe(4)

      const server = yield* FakeServer.FakeServer
      yield* server.reset
      yield* script(busy(10))
      yield* Effect.flip(AlephAlphaHttp.withCallOptions({ totalRetries: 0 })(chat()))
      expect((yield* requests).length).toBe(1)

      yield* server.reset
      yield* script(busy(1))
      const answer = yield* AlephAlphaHttp.withCallOptions({ retrySchedule: Schedule.recurs(1) })(chat())
      expect(answer.message.text).not.toBe("")
      expect((yield* requests).length).toBe(2)
    }).pipe(Effect.provide(testLayer({ retrySchedule: Schedule.recurs(3) }))))

  it.effect("replaces the client's requestTimeout; applied inside another, the inner one wins", () =>
    Effect.gen(function*() {
      const timedOut = (effect: Effect.Effect<unknown, unknown, Client>) =>
        Effect.gen(function*() {
          yield* script(Fault.StallHeaders())
          const fiber = yield* Effect.fork(Effect.flip(effect))
          yield* TestClock.adjust("1 second")
          const error = yield* Fiber.join(fiber)
          expect(error).toBeInstanceOf(RequestTimeoutError)
          return (error as RequestTimeoutError).timeout
        })
      const outer = AlephAlphaHttp.withCallOptions({ requestTimeout: "10 seconds" })
      const inner = AlephAlphaHttp.withCallOptions({ requestTimeout: "1 second" })
      expect(yield* timedOut(inner(chat()))).toEqual(Duration.seconds(1))
      expect(yield* timedOut(outer(inner(chat())))).toEqual(Duration.seconds(1))
      // a stream's request too
      const streamed = Effect.flatMap(Client, (client) => Stream.runDrain(inner(client.chatWithStreaming(chatRequest))))
      expect(yield* timedOut(streamed)).toEqual(Duration.seconds(1))
    }).pipe(Effect.provide(testLayer({ requestTimeout: "300 seconds", totalRetries: 0 }))))

  it.effect("adds headers to the client's, its value winning over a client header of the same name", () =>
    Effect.gen(function*() {
      const withHeaders = AlephAlphaHttp.withCallOptions({ headers: { "X-Tenant": "call", "x-extra": "e" } })
      const deeper = AlephAlphaHttp.withCallOptions({ headers: { "x-extra": "inner" } })
      yield* withHeaders(chat())
      yield* withHeaders(deeper(Effect.flatMap(Client, (client) => Stream.runDrain(client.chatWithStreaming(chatRequest)))))
      yield* chat()
      const [first, second, third] = yield* requests
      expect(first?.headers).toMatchObject({ "x-tenant": "call", "x-extra": "e", "x-keep": "k" })
      expect(second?.headers).toMatchObject({ "x-tenant": "call", "x-extra": "inner", "x-keep": "k" })
      expect(third?.headers["x-tenant"]).toBe("client")
      expect(third?.headers["x-extra"]).toBeUndefined()
    }).pipe(Effect.provide(testLayer({ headers: { "x-tenant": "client", "x-keep": "k" } }))))

  it.effect("with an invalid override fails with a ValidationError before anything is sent", () =>
    Effect.gen(function*() {
      const bad: ReadonlyArray<readonly [unknown, string]> = [
        [{ requestTimeout: "soon" }, "requestTimeout"],
        [{ requestTimeout: 0 }, "requestTimeout"],
        [{ totalRetries: -1 }, "totalRetries"],
        [{ totalRetries: 1.5 }, "totalRetries"],
        [{ retrySchedule: "often" }, "retrySchedule"],
        [{ headers: { authorization: "Bearer x" } }, "headers.authorization"],
        [{ headers: { "x-a": "b\r\nx-injected: 1" } }, "headers.x-a"],
        [{ headers: "x" }, "headers"],
        [null, ""],
        [
          Object.defineProperty({}, "headers", {
            enumerable: true,
            get: () => {
              throw new TypeError("a getter threw")
            }
          }),
          "headers"
        ]
      ]
      for (const [options, path] of bad) {
        const error = yield* Effect.flip(AlephAlphaHttp.withCallOptions(options as never)(chat()))
        expect(error, path).toBeInstanceOf(ValidationError)
        expect((error as ValidationError).path).toBe(path)
        const streamed = yield* Effect.flip(
          Effect.flatMap(Client, (client) => Stream.runDrain(AlephAlphaHttp.withCallOptions(options as never)(client.chatWithStreaming(chatRequest))))
        )
        expect(streamed).toBeInstanceOf(ValidationError)
      }
      expect((yield* requests).length).toBe(0)
    }).pipe(Effect.provide(testLayer({}))))
})

describe("request ids", () => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

  it.effect("are not sent by default, and errors carry none unless the answer has one", () =>
    Effect.gen(function*() {
      yield* script(busy(1))
      const error = yield* Effect.flip(chat())
      expect((yield* requests)[0]?.headers["x-request-id"]).toBeUndefined()
      expect((error as BusyError).requestId).toBeUndefined()
      yield* script(Fault.Status({ status: 503, body: { error: "busy" }, headers: { "x-request-id": "server-7" } }))
      expect(((yield* Effect.flip(chat())) as BusyError).requestId).toBe("server-7")
      yield* script(Fault.Status({ status: 500, body: { error: "oops" }, headers: { "request-id": "server-8" } }))
      expect(((yield* Effect.flip(chat())) as BusyError).requestId).toBe("server-8")
    }).pipe(Effect.provide(testLayer({ totalRetries: 0 }))))

  it.effect("with requestId: true, a UUID is sent as x-request-id, the same on every retry, and the error carries it", () =>
    Effect.gen(function*() {
      yield* script(busy(3))
      const error = yield* Effect.flip(chat())
      const sent = (yield* requests).map((request) => request.headers["x-request-id"])
      expect(sent).toHaveLength(3)
      expect(sent[0]).toMatch(uuid)
      expect(new Set(sent).size).toBe(1)
      expect(error).toBeInstanceOf(BusyError)
      expect((error as BusyError).requestId).toBe(sent[0])
      // a call of its own, an id of its own; the answer's id wins over the one sent
      yield* script(Fault.Status({ status: 503, body: { error: "busy" }, headers: { "x-request-id": "server-id" }, times: 3 }))
      expect(((yield* Effect.flip(chat())) as BusyError).requestId).toBe("server-id")
      const ids = (yield* requests).map((request) => request.headers["x-request-id"])
      expect(ids[3]).toMatch(uuid)
      expect(ids[3]).not.toBe(sent[0])
    }).pipe(Effect.provide(testLayer({ requestId: true, retrySchedule: Schedule.recurs(2) }))))

  it.effect("from a function, or an x-request-id header of the call, are carried by transport errors and stream errors too", () =>
    Effect.gen(function*() {
      yield* script(Fault.DropBeforeHeaders())
      const dropped = yield* Effect.flip(chat())
      expect(dropped).toBeInstanceOf(TransportError)
      expect((dropped as TransportError).requestId).toBe("mine-1")

      yield* script(Fault.DropMidStream({ afterEvents: 1 }))
      const midStream = yield* Effect.flip(Effect.flatMap(Client, (client) => Stream.runDrain(client.chatWithStreaming(chatRequest))))
      expect(midStream).toBeInstanceOf(TransportError)
      expect((midStream as TransportError).requestId).toBe("mine-2")

      yield* script(Fault.DropBeforeHeaders())
      const own = yield* Effect.flip(AlephAlphaHttp.withCallOptions({ headers: { "X-Request-Id": "call-id" } })(chat()))
      expect((own as TransportError).requestId).toBe("call-id")
      expect((yield* requests).map((request) => request.headers["x-request-id"])).toEqual(["mine-1", "mine-2", "call-id"])
    }).pipe(Effect.provide(Layer.suspend(() => {
      let n = 0
      return testLayer({ totalRetries: 0, requestId: () => `mine-${++n}` })
    }))))

  it.effect("from a function that returns no valid id fail the call with a ValidationError, nothing sent", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(chat())
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).path).toBe("requestId")
      expect((yield* requests).length).toBe(0)
    }).pipe(Effect.provide(testLayer({ requestId: () => "a\r\nx-injected: 1" }))))
})

// ---------------------------------------------------------------------------------------------
// logs

const TOKEN_CANARY = "tok-CANARY-5f3a-never-in-logs"
const PROXY_PASSWORD_CANARY = "proxy-CANARY-hunter2"
const HEADER_CANARY = "header-CANARY-9d1c"
const PROMPT_CANARY = "prompt-CANARY-what-is-my-secret"

interface Line {
  readonly level: string
  readonly text: string
  readonly annotations: Record<string, unknown>
}

const capture = (lines: Array<Line>) =>
  Logger.replace(
    Logger.defaultLogger,
    Logger.make(({ annotations, logLevel, message }) => {
      lines.push({ level: logLevel.label, text: JSON.stringify(message), annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
    })
  )

const expectNoSecrets = (texts: ReadonlyArray<string>) => {
  for (const text of texts) {
    for (const canary of [TOKEN_CANARY, PROXY_PASSWORD_CANARY, HEADER_CANARY, PROMPT_CANARY]) {
      expect(text, "a secret or the prompt in a log line").not.toContain(canary)
    }
  }
}

const canaryRequest = new ChatRequest({ model, messages: [new Message({ role: "user", content: PROMPT_CANARY })], maximumTokens: 4 })

describe("the debug log", () => {
  it.effect("has a line per attempt: method, path, status or error, attempt, duration, wait; no secret, no prompt", () => {
    const lines: Array<Line> = []
    return Effect.gen(function*() {
      yield* script(busy(1))
      const withSecrets = AlephAlphaHttp.withCallOptions({ headers: { "x-api-key": HEADER_CANARY } })
      yield* withSecrets(chat(canaryRequest)).pipe(Logger.withMinimumLogLevel(LogLevel.Debug))
      yield* script(Fault.DropBeforeHeaders({ times: 2 }))
      yield* Effect.flip(
        Effect.flatMap(Client, (client) => Stream.runDrain(client.chatWithStreaming(canaryRequest))).pipe(
          Logger.withMinimumLogLevel(LogLevel.Debug)
        )
      )
      const ours = lines.filter((line) => "aleph_alpha.attempt" in line.annotations)
      expect(ours.map((line) => line.annotations)).toEqual([
        expect.objectContaining({
          "aleph_alpha.method": "POST",
          "aleph_alpha.path": "chat/completions",
          "aleph_alpha.attempt": 1,
          "aleph_alpha.status": 503,
          "aleph_alpha.error": "BusyError",
          "aleph_alpha.request_id": expect.any(String),
          "aleph_alpha.duration_ms": expect.any(Number)
        }),
        expect.objectContaining({ "aleph_alpha.attempt": 2, "aleph_alpha.status": 200, "aleph_alpha.retry_wait_ms": expect.any(Number) }),
        expect.objectContaining({ "aleph_alpha.attempt": 1, "aleph_alpha.error": "TransportError" }),
        expect.objectContaining({ "aleph_alpha.attempt": 2, "aleph_alpha.error": "TransportError" })
      ])
      expect(ours[0]?.annotations["aleph_alpha.retry_wait_ms"]).toBeUndefined()
      expect(ours.every((line) => line.level === "DEBUG")).toBe(true)
      expect(ours[1]?.text).toContain("POST chat/completions: 200 (attempt 2")
      expectNoSecrets(lines.flatMap((line) => [line.text, JSON.stringify(line.annotations)]))
    }).pipe(
      Effect.provide(Layer.merge(
        AlephAlphaTest.layer({
          client: {
            token: Redacted.make(TOKEN_CANARY),
            // what a proxy's credentials look like as a header: never logged either
            headers: { "proxy-authorization": `Basic ${PROXY_PASSWORD_CANARY}` },
            retrySchedule: Schedule.recurs(1),
            requestId: true,
            recordContent: true
          }
        }),
        capture(lines)
      ))
    )
  })

  it.effect("is silent at the default level (Info)", () => {
    const lines: Array<Line> = []
    return Effect.gen(function*() {
      yield* chat()
      expect(lines.filter((line) => "aleph_alpha.attempt" in line.annotations)).toEqual([])
    }).pipe(Effect.provide(Layer.merge(AlephAlphaTest.layer(), capture(lines))))
  })
})

describe("Client.chatStructured without a model argument", () => {
  it.effect("takes its options third; the old form with a model still works", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const Answer = Schema.Struct({ answer: Schema.String })
      yield* script(Fault.Status({ status: 200, body: chatAnswer("{\"answer\":\"yes\"}"), times: 2 }))
      expect(yield* client.chatStructured(chatRequest, Answer, { strict: false })).toEqual({ answer: "yes" })
      expect(yield* client.chatStructured(chatRequest, Answer, model, { strict: false })).toEqual({ answer: "yes" })
      const formats = (yield* requests).map((request) => (request.body as { response_format?: { json_schema?: { strict?: unknown } } }).response_format?.json_schema?.strict)
      expect(formats).toEqual([false, false])
    }).pipe(Effect.provide(testLayer({}))))
})

// ---------------------------------------------------------------------------------------------
// AsyncClient

const runtime = ManagedRuntime.make(AlephAlphaTest.layer({ client: { totalRetries: 0 } }))
const fake = <A>(f: (server: FakeServer.Service) => Effect.Effect<A>) => runtime.runPromise(Effect.flatMap(FakeServer.FakeServer, f))
const sent = () => fake((server) => server.requests)

let inMemoryFetch: typeof globalThis.fetch
const clients: Array<AsyncClient> = []
const asyncClient = (options: Partial<ConstructorParameters<typeof AsyncClient>[0]> = {}) => {
  const client = new AsyncClient({ token: "t", host: `${InMemory.url}/v1`, transport: inMemoryFetch, ...options })
  clients.push(client)
  return client
}

beforeAll(async () => {
  inMemoryFetch = (await runtime.runPromise(Effect.flatMap(FakeServer.FakeServer, InMemory.make))).fetch
})
beforeEach(() => fake((server) => server.reset))
afterAll(async () => {
  for (const client of clients) await client.close()
  await runtime.dispose()
})

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error)

describe("AsyncClient call options", () => {
  it("override the client's retries, timeout and headers for that call only", async () => {
    const client = asyncClient({ totalRetries: 0, requestTimeout: "300 seconds", headers: { "x-tenant": "client" } })
    await fake((server) => server.script(busy(2)))
    const answer = await client.chat(chatRequest, { retrySchedule: Schedule.recurs(2), headers: { "X-Tenant": "call" } })
    expect(answer.message.text).not.toBe("")
    const requests = await sent()
    expect(requests).toHaveLength(3)
    expect(requests.map((request) => request.headers["x-tenant"])).toEqual(["call", "call", "call"])

    await fake((server) => server.script(busy(1)))
    expect(await rejection(client.chat(chatRequest))).toBeInstanceOf(BusyError)
    expect((await sent())[3]?.headers["x-tenant"]).toBe("client")

    await fake((server) => server.script(Fault.StallHeaders()))
    const stalled = await rejection(client.models({ requestTimeout: "50 millis" }))
    expect(stalled).toBeInstanceOf(RequestTimeoutError)
    expect((stalled as RequestTimeoutError).timeout).toEqual(Duration.millis(50))
  })

  it("apply to streams, with the options as second argument of the chat methods", async () => {
    const client = asyncClient({ totalRetries: 0 })
    await fake((server) => server.script(busy(1)))
    const events: Array<unknown> = []
    for await (const event of client.chatWithStreaming(chatRequest, { retrySchedule: Schedule.recurs(1), headers: { "x-s": "1" } })) {
      events.push(event)
    }
    expect(events.length).toBeGreaterThan(0)
    expect((await sent()).map((request) => request.headers["x-s"])).toEqual(["1", "1"])

    const controller = new AbortController()
    controller.abort()
    const aborted = await rejection(client.chat(chatRequest, { signal: controller.signal }))
    expect((aborted as { _tag?: string })._tag).toBe("AbortError")

    const Answer = Schema.Struct({ answer: Schema.String })
    await fake((server) => server.script(Fault.Status({ status: 200, body: chatAnswer("{\"answer\":\"yes\"}") })))
    expect(await client.chatStructured(chatRequest, Answer, { strict: true, headers: { "x-s": "2" } })).toEqual({ answer: "yes" })
    expect((await sent()).at(-1)?.headers["x-s"]).toBe("2")
    // the old forms still work
    expect((await client.chat(chatRequest, undefined, { headers: { "x-s": "3" } })).message.text).not.toBe("")
    expect((await client.chat(chatRequest, model)).message.text).not.toBe("")
    expect((await sent()).at(-2)?.headers["x-s"]).toBe("3")
  })

  it("reject with a ValidationError when invalid, nothing sent", async () => {
    const client = asyncClient()
    for (const options of [{ requestTimeout: "soon" }, { totalRetries: -1 }, { headers: { authorization: "x" } }, { retrySchedule: 3 }]) {
      const error = await rejection(client.chat(chatRequest, options as never))
      expect(error, JSON.stringify(options)).toBeInstanceOf(ValidationError)
      const iterated = await rejection((async () => {
        for await (const _ of client.chatWithStreaming(chatRequest, options as never)) void _
      })())
      expect(iterated).toBeInstanceOf(ValidationError)
    }
    const getter = Object.defineProperty({}, "totalRetries", {
      enumerable: true,
      get: () => {
        throw new TypeError("a getter threw")
      }
    })
    expect(await rejection(client.models(getter))).toMatchObject({ _tag: "ValidationError", path: "totalRetries" })
    expect(await sent()).toHaveLength(0)
  })
})

describe("AsyncClient logLevel and logger", () => {
  it("at debug, the user's logger gets each attempt, with no token, header secret or prompt", async () => {
    const entries: Array<LogEntry> = []
    const client = asyncClient({
      token: TOKEN_CANARY,
      headers: { "proxy-authorization": `Basic ${PROXY_PASSWORD_CANARY}` },
      logLevel: "debug",
      logger: (entry) => entries.push(entry),
      requestId: true
    })
    await fake((server) => server.script(busy(1)))
    await client.chat(canaryRequest, { retrySchedule: Schedule.recurs(1), headers: { "x-api-key": HEADER_CANARY } })
    expect(entries.map((entry) => [entry.level, entry.annotations["aleph_alpha.attempt"], entry.annotations["aleph_alpha.status"]])).toEqual([
      ["debug", 1, 503],
      ["debug", 2, 200]
    ])
    expect(entries[0]?.message).toMatch(/^POST chat\/completions: 503 BusyError \(attempt 1, \d+ ms\)$/)
    expect(entries[0]?.date).toBeInstanceOf(Date)
    expectNoSecrets(entries.map((entry) => JSON.stringify(entry)))
  })

  it("by default logs no attempt; a throwing logger does not fail the call", async () => {
    const entries: Array<LogEntry> = []
    await asyncClient({ logger: (entry) => entries.push(entry) }).models()
    expect(entries).toEqual([])
    const throwing = asyncClient({
      logLevel: "debug",
      logger: () => {
        throw new Error("logger down")
      }
    })
    expect((await throwing.models()).length).toBeGreaterThan(0)
  })

  it("invalid, are a ValidationError when the client is made", () => {
    for (const [options, path] of [[{ logLevel: "verbose" }, "logLevel"], [{ logLevel: 7 }, "logLevel"], [{ logger: "console" }, "logger"], [{
      requestId: "yes"
    }, "requestId"]] as const) {
      expect(() => asyncClient(options as never)).toThrow(ValidationError)
      try {
        asyncClient(options as never)
      } catch (error) {
        expect((error as ValidationError).path).toBe(path)
      }
    }
  })
})

function chatAnswer(content: string) {
  return {
    id: "c",
    object: "chat.completion",
    created: 0,
    model,
    choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }]
  }
}
