import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Random, Redacted, Ref, Schedule, TestClock } from "effect"
import {
  AlephAlphaHttp,
  type AlephAlphaHttpOptions,
  ChatCompletions,
  Completions,
  Embeddings,
  Client,
  Evaluations,
  Explanations,
  Models,
  Reranking,
  Steering,
  Tokenization,
  Translations,
  userAgent,
  version
} from "../src/index.js"
import packageJson from "../package.json" with { type: "json" }

/** One scripted answer of the test HttpClient. */
type Answer =
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string> }
  | { readonly reset: "before-headers" }
  | { readonly stream: ReadableStream<Uint8Array>; readonly status?: number }
  | { readonly delay: Duration.DurationInput; readonly then: Answer }

interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string | undefined
  readonly at: number
}

/** An HttpClient answering from a script; it records what was sent and when (TestClock time). */
const scripted = (answers: ReadonlyArray<Answer>, fallback: Answer = { status: 200, body: "[]" }) =>
  Effect.gen(function*() {
    const queue = yield* Ref.make(answers)
    const seen = yield* Ref.make<ReadonlyArray<Seen>>([])
    const respond = (request: Parameters<Parameters<typeof HttpClient.make>[0]>[0], answer: Answer): Effect.Effect<
      HttpClientResponse.HttpClientResponse,
      HttpClientError.HttpClientError
    > => {
      if ("delay" in answer) return Effect.zipRight(Effect.sleep(answer.delay), respond(request, answer.then))
      if ("reset" in answer) {
        return Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
          })
        )
      }
      if ("stream" in answer) {
        return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(answer.stream, { status: answer.status ?? 200 })))
      }
      return Effect.succeed(
        HttpClientResponse.fromWeb(
          request,
          new Response(answer.body ?? "", { status: answer.status, ...(answer.headers ? { headers: answer.headers } : {}) })
        )
      )
    }
    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const at = yield* TestClock.currentTimeMillis
        const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : undefined
        yield* Ref.update(seen, (list) => [...list, { method: request.method, url: url.toString(), headers: { ...request.headers }, body, at }])
        const answer = yield* Ref.modify(queue, (list) => list.length === 0 ? [fallback, list] : [list[0]!, list.slice(1)])
        return yield* respond(request, answer)
      })
    )
    return { client, seen: Ref.get(seen) }
  })

const token = "tok-3f9a1c7e-SECRET-d00d"
const baseOptions: AlephAlphaHttpOptions = { token: Redacted.make(token), host: "https://api.test/v1" }

/** Runs `f` with a Client over a scripted HttpClient. */
const withClient = <A, E>(
  answers: ReadonlyArray<Answer>,
  f: (client: Client["Type"], seen: Effect.Effect<ReadonlyArray<Seen>>) => Effect.Effect<A, E, Client>,
  options: Partial<AlephAlphaHttpOptions> = {},
  fallback?: Answer
) =>
  Effect.gen(function*() {
    const { client, seen } = yield* scripted(answers, fallback)
    const layer = Client.layer({ ...baseOptions, ...options }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))
    return yield* Effect.flatMap(Client, (c) => f(c, seen)).pipe(Effect.provide(layer))
  }).pipe(Effect.withRandom(Random.fixed([0.5])))

describe("requests", () => {
  it.effect("carry the bearer token, the user agent and extra headers, on the host as given", () =>
    withClient([{ status: 200, body: "1.19.0\n" }], (client, seen) =>
      Effect.gen(function*() {
        const found = yield* client.getVersion()
        expect(found).toBe("1.19.0")
        const [request] = yield* seen
        expect(request!.url).toBe("https://api.test/v1/version")
        expect(request!.headers["authorization"]).toBe(`Bearer ${token}`)
        expect(request!.headers["user-agent"]).toBe(userAgent)
        expect(request!.headers["x-extra"]).toBe("1")
      }), { headers: { "x-extra": "1" } }))

  it.effect("normalise a trailing slash without adding or stripping /v1", () =>
    Effect.gen(function*() {
      for (const [host, expected] of [
        ["https://api.test/v1/", "https://api.test/v1/models_available"],
        ["https://api.test//", "https://api.test/models_available"],
        ["https://api.test", "https://api.test/models_available"]
      ] as const) {
        const url = yield* withClient([], (client, seen) => Effect.zipRight(client.models(), Effect.map(seen, (s) => s[0]!.url)), { host })
        expect(url).toBe(expected)
      }
    }))

  it("send the package's version in the user agent", () => {
    expect(version).toBe(packageJson.version)
    expect(userAgent).toBe(`Aleph-Alpha-TS-Client-${packageJson.version}`)
  })

  it.effect("decode models_available into camelCase classes", () =>
    withClient([{
      status: 200,
      body: JSON.stringify([{ name: "luminous-base", max_context_size: 2048, image_support: true, hostings: [], embedding_types: ["symmetric"], maximum_completion_tokens: null, extra: 1 }])
    }], (client) =>
      Effect.gen(function*() {
        const [model] = yield* client.models()
        expect(model!.name).toBe("luminous-base")
        expect(model!.maxContextSize).toBe(2048)
        expect(model!.imageSupport).toBe(true)
        expect(model!.maximumCompletionTokens).toBeNull()
      })))
})

describe("options", () => {
  it.effect("bad options are a ValidationError before anything is sent", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<[Partial<AlephAlphaHttpOptions>, string]> = [
        [{ host: "not a url" }, "host"],
        [{ host: "ftp://x" }, "host"],
        [{ token: Redacted.make(" ") }, "token"],
        [{ totalRetries: -1 }, "totalRetries"],
        [{ maxEventSize: 0 }, "maxEventSize"],
        [{ requestTimeout: "0 seconds" }, "requestTimeout"]
      ]
      for (const [options, path] of cases) {
        const exit = yield* Effect.exit(withClient([], (client) => client.models(), options))
        expect(exit).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "ValidationError", path } } })
      }
    }))
})

const statusCases = [
  [400, "BadRequestError"],
  [401, "AuthenticationError"],
  [402, "QuotaError"],
  [403, "PermissionDeniedError"],
  [404, "NotFoundError"],
  [408, "RequestTimeoutError"],
  [409, "UnexpectedStatusError"],
  [413, "UnexpectedStatusError"],
  [429, "RateLimitError"],
  [500, "ServerError"],
  [503, "BusyError"],
  [507, "ServerError"]
] as const

describe("HTTP errors", () => {
  it.effect.each(statusCases)("%s maps to %s with code and message from a JSON body", ([status, tag]) =>
    withClient([{ status, body: JSON.stringify({ error: "what went wrong", code: "SOME_CODE" }) }], (client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(client.models())
        expect(error._tag).toBe(tag)
        expect(error).toMatchObject({ status, code: "SOME_CODE", error: "what went wrong" })
        expect(error.message).toContain("what went wrong")
        expect(error.message).toContain(String(status))
      }), { totalRetries: 0 }))

  it.effect.each(statusCases)("%s maps to %s with the raw text of a plain-text body", ([status, tag]) =>
    withClient([{ status, body: "No server is available to handle this request." }], (client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(client.models())
        expect(error._tag).toBe(tag)
        expect(error).toMatchObject({ status, error: "No server is available to handle this request." })
        expect((error as { code?: string }).code).toBeUndefined()
      }), { totalRetries: 0 }))
})

describe("an error's message", () => {
  it.effect("says how long the server asked to wait, when it said", () =>
    Effect.gen(function*() {
      const cases = [
        [429, { "retry-after": "3" }, "Rate limited (HTTP 429 TOO_MANY_REQUESTS): slow down (retry after 3 s)"],
        [429, { "retry-after-ms": "1500" }, "Rate limited (HTTP 429 TOO_MANY_REQUESTS): slow down (retry after 1.5 s)"],
        [503, { "retry-after-ms": "250" }, "Service busy (HTTP 503 TOO_MANY_REQUESTS): slow down (retry after 250 ms)"],
        [429, {}, "Rate limited (HTTP 429 TOO_MANY_REQUESTS): slow down"]
      ] as const
      for (const [status, headers, message] of cases) {
        const body = JSON.stringify({ error: "slow down", code: "TOO_MANY_REQUESTS" })
        const error = yield* withClient([{ status, body, headers }], (client) => Effect.flip(client.models()), {
          totalRetries: 0
        })
        expect(error.message).toBe(message)
        expect(String(error)).toContain(message)
      }
    }))
})

describe("retries", () => {
  it.effect("503 on every attempt ends in BusyError after exactly totalRetries retries, delays per policy", () =>
    withClient([], (client, seen) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.flip(client.models()))
        yield* TestClock.adjust("10 minutes")
        const error = yield* Fiber.join(fiber)
        expect(error).toMatchObject({ _tag: "BusyError", code: "QUEUE_FULL" })
        const times = (yield* seen).map((s) => s.at)
        expect(times.length).toBe(9)
        expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000])
      }), {}, { status: 503, body: "{\"error\":\"busy\",\"code\":\"QUEUE_FULL\"}" }))

  it.effect("429 with Retry-After: 2, then 200, succeeds after waiting 2 s", () =>
    withClient([{ status: 429, body: "Too many requests", headers: { "retry-after": "2" } }], (client, seen) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(client.models())
        yield* TestClock.adjust("1999 millis")
        expect((yield* seen).length).toBe(1)
        yield* TestClock.adjust("1 millis")
        yield* Fiber.join(fiber)
        expect((yield* seen).map((s) => s.at)).toEqual([0, 2000])
      })))

  it.effect("Retry-After as an HTTP date is measured against the Clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00Z"))
      yield* withClient([{ status: 503, body: "", headers: { "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" } }], (client, seen) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(client.models())
          yield* TestClock.adjust("5 seconds")
          yield* Fiber.join(fiber)
          const [first, second] = (yield* seen).map((s) => s.at)
          expect(second! - first!).toBe(5000)
        }))
    }))

  it.effect("retry-after-ms wins over Retry-After, and a huge wait is clamped to 60 s", () =>
    withClient([
      { status: 429, body: "", headers: { "retry-after-ms": "1500", "retry-after": "9" } },
      { status: 503, body: "", headers: { "retry-after": "3600" } }
    ], (client, seen) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(client.models())
        yield* TestClock.adjust("2 minutes")
        yield* Fiber.join(fiber)
        const times = (yield* seen).map((s) => s.at)
        expect(times).toEqual([0, 1500, 61500])
      })))

  it.effect.each([400, 401, 402, 403, 404])("%s is never retried", (status) =>
    withClient([{ status, body: "no" }], (client, seen) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.flip(client.models()))
        yield* TestClock.adjust("10 minutes")
        yield* Fiber.join(fiber)
        expect((yield* seen).length).toBe(1)
      })))

  it.effect("a custom retrySchedule replaces the default and still never retries a 400", () =>
    Effect.gen(function*() {
      const schedule = Schedule.spaced("3 seconds").pipe(Schedule.intersect(Schedule.recurs(2)))
      const busy = yield* withClient([], (client, seen) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(Effect.flip(client.models()))
          yield* TestClock.adjust("1 minute")
          yield* Fiber.join(fiber)
          return (yield* seen).map((s) => s.at)
        }), { retrySchedule: schedule }, { status: 503, body: "" })
      expect(busy).toEqual([0, 3000, 6000])
      const bad = yield* withClient([{ status: 400, body: "bad" }], (client, seen) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(Effect.flip(client.models()))
          yield* TestClock.adjust("1 minute")
          yield* Fiber.join(fiber)
          return (yield* seen).length
        }), { retrySchedule: schedule })
      expect(bad).toBe(1)
    }))

  it.effect("a connection reset before the headers is retried", () =>
    withClient([{ reset: "before-headers" }], (client, seen) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(client.models())
        yield* TestClock.adjust("1 second")
        yield* Fiber.join(fiber)
        expect((yield* seen).length).toBe(2)
      })))

  it.effect("a reset on every attempt ends in a TransportError", () =>
    withClient(Array.from({ length: 3 }, () => ({ reset: "before-headers" as const })), (client) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.flip(client.models()))
        yield* TestClock.adjust("1 minute")
        const error = yield* Fiber.join(fiber)
        expect(error._tag).toBe("TransportError")
        expect(error.message).toContain("socket hang up")
      }), { totalRetries: 2 }))
})

const neverEnding = (prefix: string) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(prefix))
    }
  })

describe("timeouts", () => {
  it.effect("slow headers are a client RequestTimeoutError after requestTimeout", () =>
    withClient([{ delay: "1 hour", then: { status: 200, body: "1.19.0" } }], (client) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.exit(client.getVersion()))
        yield* TestClock.adjust("9 seconds")
        expect(yield* Fiber.poll(fiber)).toMatchObject({ _tag: "None" })
        yield* TestClock.adjust("1 second")
        const exit = yield* Fiber.join(fiber)
        expect(exit).toMatchObject({ _tag: "Failure", cause: { error: { _tag: "RequestTimeoutError", origin: "client" } } })
      }), { requestTimeout: "10 seconds", totalRetries: 0 }))

  it.effect("a body that never finishes is a client RequestTimeoutError", () =>
    withClient([{ stream: neverEnding("[{\"name\":") }], (client) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.flip(client.models()))
        yield* TestClock.adjust("10 seconds")
        const error = yield* Fiber.join(fiber)
        expect(error).toMatchObject({ _tag: "RequestTimeoutError", origin: "client" })
        expect(error.message).toContain("requestTimeout")
      }), { requestTimeout: "10 seconds", totalRetries: 0 }))

  it.effect("timeouts are retried like other transient failures", () =>
    withClient([{ delay: "1 hour", then: { status: 200, body: "x" } }, { status: 200, body: "1.19.0" }], (client, seen) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(client.getVersion())
        yield* TestClock.adjust("11 seconds")
        expect(yield* Fiber.join(fiber)).toBe("1.19.0")
        expect((yield* seen).length).toBe(2)
      }), { requestTimeout: "10 seconds" }))
})

describe("bodies", () => {
  it.effect("a reset in the middle of a body is a TransportError, not a DecodeError", () =>
    withClient([{
      stream: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("[{\"name\": \"lum"))
          controller.error(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))
        }
      })
    }], (client) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(client.models())
        expect(error._tag).toBe("TransportError")
        expect(error.message).toContain("ECONNRESET")
      }), { totalRetries: 0 }))

  it.effect("malformed JSON and a wrong shape are DecodeErrors", () =>
    Effect.gen(function*() {
      const malformed = yield* withClient([{ status: 200, body: "[{" }], (client) => Effect.flip(client.models()))
      expect(malformed._tag).toBe("DecodeError")
      const shape = yield* withClient([{ status: 200, body: "[{\"name\": 3}]" }], (client) => Effect.flip(client.models()))
      expect(shape._tag).toBe("DecodeError")
      expect(shape.message).toContain("name")
    }))
})

describe("validateVersion", () => {
  it.effect("accepts 1.19.0 and later 1.x versions", () =>
    Effect.gen(function*() {
      for (const v of ["1.19.0", "1.20.3", "1.19.12"]) {
        expect(yield* withClient([{ status: 200, body: v }], (client) => client.validateVersion())).toBe(v)
      }
    }))

  it.effect("rejects older, other-major and non-semver versions with an explaining VersionMismatchError", () =>
    Effect.gen(function*() {
      for (const v of ["1.16.1", "2.0.0", "latest"]) {
        const error = yield* withClient([{ status: 200, body: v }], (client) => Effect.flip(client.validateVersion()))
        expect(error).toMatchObject({ _tag: "VersionMismatchError", found: v, required: "1.19.0" })
        expect(error.message).toContain("1.19.0")
      }
    }))
})

describe("Client.layerFromFamilies", () => {
  it.effect("builds a Client from family layers of the test's choice", () =>
    Effect.gen(function*() {
      const fakeModels = Layer.succeed(Models, {
        models: () => Effect.succeed([]),
        getVersion: () => Effect.succeed("9.9.9"),
        validateVersion: () => Effect.succeed("9.9.9")
      })
      const { client } = yield* scripted([])
      const families = Layer.mergeAll(
        fakeModels,
        Completions.layer,
        ChatCompletions.layer,
        Embeddings.layer,
        Explanations.layer,
        Evaluations.layer,
        Tokenization.layer,
        Translations.layer,
        Reranking.layer,
        Steering.layer
      ).pipe(
        Layer.provide(AlephAlphaHttp.layer(baseOptions)),
        Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
      )
      const found = yield* Effect.flatMap(Client, (client) => client.getVersion()).pipe(
        Effect.provide(Client.layerFromFamilies.pipe(Layer.provide(families)))
      )
      expect(found).toBe("9.9.9")
    }))
})
