import { HttpClient, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Redacted, Ref, Schema, Stream, TestClock } from "effect"
import { AlephAlphaHttp, type AlephAlphaHttpOptions } from "../src/index.js"

class PingRequest extends Schema.Class<PingRequest>("aleph-alpha-client/PingRequest")({
  text: Schema.String,
  count: Schema.Int
}) {}

const encoder = new TextEncoder()

interface Opened {
  readonly body: string | undefined
  /** The body was cancelled or the request aborted: the connection would be closed. */
  cancelled: boolean
}

/**
 * An HttpClient whose streaming answers are written by the test: `feed` pushes bytes,
 * `fail` breaks the connection, `close` ends the body. Records whether the body was cancelled.
 */
const controllable = (status = 200) =>
  Effect.gen(function*() {
    const opened = yield* Ref.make<ReadonlyArray<Opened>>([])
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined
    const client = HttpClient.make((request, _url, signal) =>
      Effect.gen(function*() {
        const record: Opened = {
          body: request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : undefined,
          cancelled: false
        }
        yield* Ref.update(opened, (list) => [...list, record])
        const stream = new ReadableStream<Uint8Array>({
          start(c) {
            controller = c
          },
          cancel() {
            record.cancelled = true
          }
        })
        // like a real transport: aborting the request closes the connection
        signal.addEventListener("abort", () => {
          record.cancelled = true
        })
        return HttpClientResponse.fromWeb(request, new Response(stream, { status }))
      })
    )
    // waits until the client has opened the response
    const withController = (f: (c: ReadableStreamDefaultController<Uint8Array>) => void): Effect.Effect<void> =>
      Effect.suspend(() =>
        controller === undefined ? Effect.zipRight(Effect.yieldNow(), withController(f)) : Effect.sync(() => f(controller!))
      )
    return {
      client,
      opened: Ref.get(opened),
      feed: (text: string | Uint8Array) =>
        withController((c) => c.enqueue(typeof text === "string" ? encoder.encode(text) : text)),
      fail: (error: Error) => withController((c) => c.error(error)),
      close: withController((c) => c.close())
    }
  })

const transport = (client: HttpClient.HttpClient, options: Partial<AlephAlphaHttpOptions> = {}) =>
  AlephAlphaHttp.make({ token: Redacted.make("tok-streaming-test"), host: "https://api.test/v1", ...options }).pipe(
    Effect.provide(Layer.succeed(HttpClient.HttpClient, client))
  )

const request = { path: "complete", schema: PingRequest, request: new PingRequest({ text: "hi", count: 1 }), model: "m" }

describe("postStream", () => {
  it.effect("sends the encoded request with stream: true and model, emits each event's JSON, stops at [DONE]", () =>
    Effect.gen(function*() {
      const server = yield* controllable()
      const http = yield* transport(server.client, { tags: ["a"], hosting: "aleph-alpha", nice: true })
      const fiber = yield* Effect.fork(Stream.runCollect(http.postStream(request)))
      yield* Effect.yieldNow()
      yield* server.feed("data: {\"n\":1}\n\nda")
      yield* server.feed("ta: {\"n\":2}\r\n\r\ndata: [DONE]\n\ndata: {\"n\":3}\n\n")
      yield* server.close
      const events = Chunk.toReadonlyArray(yield* Fiber.join(fiber))
      expect(events).toEqual([{ n: 1 }, { n: 2 }])
      const [opened] = yield* server.opened
      expect(JSON.parse(opened!.body!)).toEqual({ text: "hi", count: 1, model: "m", hosting: "aleph-alpha", tags: ["a"], stream: true })
    }))

  it.effect("an invalid request is a ValidationError and nothing is sent", () =>
    Effect.gen(function*() {
      const server = yield* controllable()
      const http = yield* transport(server.client)
      const invalid = new PingRequest({ text: "x", count: 1.5 }, { disableValidation: true })
      const error = yield* Effect.flip(Stream.runDrain(http.postStream({ ...request, request: invalid })))
      expect(error).toMatchObject({ _tag: "ValidationError", path: "count", subject: "PingRequest" })
      expect(error.message).toContain("count")
      expect(yield* server.opened).toEqual([])
    }))

  it.effect("a connection lost after some events is a TransportError; delivered events are kept and nothing is retried", () =>
    Effect.gen(function*() {
      const server = yield* controllable()
      const http = yield* transport(server.client)
      const received: Array<unknown> = []
      const fiber = yield* Effect.fork(Effect.flip(Stream.runForEach(http.postStream(request), (e) => Effect.sync(() => received.push(e)))))
      yield* Effect.yieldNow()
      yield* server.feed("data: {\"n\":1}\n\ndata: {\"n\":2}\n\n")
      // a web stream's error() drops what is still queued: fail once the events were read
      yield* Effect.yieldNow().pipe(Effect.repeat({ until: () => received.length === 2 }))
      yield* server.fail(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("TransportError")
      expect(received).toEqual([{ n: 1 }, { n: 2 }])
      expect((yield* server.opened).length).toBe(1)
    }))

  it.effect("a stream quiet for streamIdleTimeout fails with a client RequestTimeoutError", () =>
    Effect.gen(function*() {
      const server = yield* controllable()
      const http = yield* transport(server.client, { streamIdleTimeout: "30 seconds" })
      const received: Array<unknown> = []
      const fiber = yield* Effect.fork(Effect.flip(Stream.runForEach(http.postStream(request), (e) => Effect.sync(() => received.push(e)))))
      yield* Effect.yieldNow()
      yield* server.feed("data: {\"n\":1}\n\n")
      yield* TestClock.adjust("29 seconds")
      yield* server.feed(": still alive\n")
      yield* TestClock.adjust("29 seconds")
      expect(yield* Fiber.poll(fiber)).toMatchObject({ _tag: "None" })
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "RequestTimeoutError", origin: "client" })
      expect(error.message).toContain("streamIdleTimeout")
      expect(received).toEqual([{ n: 1 }])
      expect((yield* server.opened)[0]!.cancelled).toBe(true)
    }))

  it.effect("an event one byte over maxEventSize is a DecodeError, not a defect", () =>
    Effect.gen(function*() {
      const server = yield* controllable()
      const http = yield* transport(server.client, { maxEventSize: 64 })
      const fiber = yield* Effect.fork(Effect.flip(Stream.runDrain(http.postStream(request))))
      yield* Effect.yieldNow()
      yield* server.feed(`data: "${"x".repeat(64 - 8)}"\n\n`)
      yield* server.feed(`data: "${"x".repeat(64 - 7)}"\n\n`)
      const error = yield* Fiber.join(fiber)
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("maxEventSize")
    }))

  it.effect("a malformed event and a truncated final event are DecodeErrors", () =>
    Effect.gen(function*() {
      for (const body of ["data: {nope}\n\n", "data: {\"n\":1}\n\ndata: {\"n\""]) {
        const server = yield* controllable()
        const http = yield* transport(server.client)
        const fiber = yield* Effect.fork(Effect.flip(Stream.runDrain(http.postStream(request))))
        yield* Effect.yieldNow()
        yield* server.feed(body)
        yield* server.close
        expect((yield* Fiber.join(fiber))._tag).toBe("DecodeError")
      }
    }))

  it.effect("slow headers on a stream are a client RequestTimeoutError after requestTimeout, then retried", () =>
    Effect.gen(function*() {
      let calls = 0
      const client = HttpClient.make((req) =>
        Effect.suspend(() => {
          calls++
          return calls === 1
            ? Effect.never
            : Effect.succeed(HttpClientResponse.fromWeb(req, new Response("data: {\"ok\":true}\n\n", { status: 200 })))
        })
      )
      const http = yield* transport(client, { requestTimeout: "5 seconds" })
      const fiber = yield* Effect.fork(Stream.runCollect(http.postStream(request)))
      yield* TestClock.adjust("5 seconds")
      yield* TestClock.adjust("1 second")
      expect(Chunk.toReadonlyArray(yield* Fiber.join(fiber))).toEqual([{ ok: true }])
      expect(calls).toBe(2)
    }))

  it.effect("an error status before the stream starts is mapped and retried like any call", () =>
    Effect.gen(function*() {
      const statuses = [503, 200]
      const client = HttpClient.make((req) =>
        Effect.sync(() => {
          const status = statuses.shift()!
          return HttpClientResponse.fromWeb(req, new Response(status === 200 ? "data: {}\n\n" : "{\"error\":\"busy\",\"code\":\"QUEUE_FULL\"}", { status }))
        })
      )
      const http = yield* transport(client)
      const fiber = yield* Effect.fork(Stream.runCollect(http.postStream(request)))
      yield* TestClock.adjust("1 second")
      expect(Chunk.size(yield* Fiber.join(fiber))).toBe(1)
      const quota = HttpClient.make((req) => Effect.succeed(HttpClientResponse.fromWeb(req, new Response("{\"error\":\"no credits\"}", { status: 402 }))))
      const error = yield* Effect.flip(Stream.runDrain((yield* transport(quota)).postStream(request)))
      expect(error).toMatchObject({ _tag: "QuotaError", error: "no credits" })
    }))

  it.effect("interrupting the stream cancels the response body", () =>
    Effect.gen(function*() {
      const server = yield* controllable()
      const http = yield* transport(server.client)
      const fiber = yield* Effect.fork(Stream.runDrain(http.postStream(request)))
      yield* Effect.yieldNow()
      yield* server.feed("data: {\"n\":1}\n\n")
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      expect((yield* server.opened)[0]!.cancelled).toBe(true)
    }))
})

