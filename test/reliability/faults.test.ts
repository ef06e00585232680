/**
 * The fault matrix (issue 8): every fault the fake server can inject, each case asserting the
 * exact typed outcome, how long the call took (virtual time on `TestClock` in memory, a real
 * bound on loopback), that no result was lost or duplicated, that the connections were all
 * closed afterwards, and — through the observer — that the token appears in no error
 * rendering, Debug-level log line or span attribute.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Random, type Scope, Stream } from "effect"
import {
  type AlephAlphaError,
  BatchSemanticEmbeddingRequest,
  type BatchProgress,
  CompletionRequest,
  type CompletionResponse,
  type CompletionStreamEvent,
  Prompt,
  retrySchedule,
  type SemanticEmbeddingBatch
} from "../../src/index.js"
import { Fault } from "../../src/testing/index.js"
import {
  failureOf,
  gaps,
  type Harness,
  type HarnessOptions,
  inMemory,
  loopback,
  observed,
  type Observer,
  policyDelays,
  SECRET,
  settle,
  sum,
  valueOf
} from "./harness.js"

const model = "luminous-base"
const words = "alpha bravo charlie delta echo foxtrot golf hotel"
const request = new CompletionRequest({ prompt: Prompt.fromText(words), maximumTokens: 8 })

type Kind = "plain" | "stream"
const kinds: ReadonlyArray<Kind> = ["plain", "stream"]

interface Reference {
  readonly plain: CompletionResponse
  readonly stream: ReadonlyArray<CompletionStreamEvent>
}

interface Outcome {
  readonly exit: Exit.Exit<unknown, AlephAlphaError>
  readonly elapsed: number
  /** The response (plain) or the events delivered (stream). */
  readonly value: unknown
  readonly received: ReadonlyArray<CompletionStreamEvent>
}

/** One `complete` call, plain or streamed, run to its end. */
const call = (h: Harness, kind: Kind): Effect.Effect<Outcome> =>
  kind === "plain"
    ? Effect.map(h.run(h.client.complete(request, model)), ({ elapsed, exit }) => ({
      exit,
      elapsed,
      value: Exit.isSuccess(exit) ? exit.value : undefined,
      received: []
    }))
    : Effect.map(h.runStream(h.client.completeWithStreaming(request, model)), ({ elapsed, exit, received }) => ({
      exit,
      elapsed,
      value: received,
      received
    }))

/** The answers without faults, to compare with; the harness is reset afterwards. */
const reference = (h: Harness): Effect.Effect<Reference> =>
  Effect.gen(function*() {
    const plain = valueOf((yield* h.run(h.client.complete(request, model))).exit)
    const streamed = yield* h.runStream(h.client.completeWithStreaming(request, model))
    valueOf(streamed.exit)
    expect(streamed.received.length).toBe(10)
    yield* h.reset
    return { plain, stream: streamed.received }
  })

/** A success must be exactly the fault-free answer: nothing lost, nothing duplicated. */
const expectSameResult = (outcome: Outcome, kind: Kind, ref: Reference) => {
  valueOf(outcome.exit)
  expect(outcome.value).toEqual(kind === "plain" ? ref.plain : ref.stream)
}

/** The server saw each attempt with the token (so the hygiene scan is not vacuous). */
const expectTokenSent = (h: Harness) =>
  Effect.gen(function*() {
    const requests = yield* h.fake.requests
    expect(requests.length).toBeGreaterThan(0)
    for (const received of requests) expect(received.headers.authorization).toBe(`Bearer ${SECRET}`)
  })

/** Runs one case on a runner; the token and the connections are checked at the end. */
const runCase = (
  runner: (observer: Observer, options: HarnessOptions) => Effect.Effect<Harness, never, Scope.Scope>,
  options: HarnessOptions,
  body: (h: Harness, ref: Reference) => Effect.Effect<void, never, Scope.Scope>
) =>
  observed((observer) =>
    Effect.gen(function*() {
      const h = yield* runner(observer, options)
      const ref = yield* reference(h)
      yield* body(h, ref)
      yield* expectTokenSent(h)
      yield* h.expectSettled
      observer.expectAuthorizationRedacted()
    })
  )

/** An in-memory case on `TestClock` with jitter pinned; connections and token checked at the end. */
const virtual = (
  options: HarnessOptions,
  body: (h: Harness, ref: Reference) => Effect.Effect<void, never, Scope.Scope>
) => runCase(inMemory, options, body).pipe(Effect.withRandom(Random.fixed([0.5])))

/** A loopback case (real sockets, real time); the pool is closed and the server's sockets counted. */
const real = (
  options: HarnessOptions,
  body: (h: Harness, ref: Reference) => Effect.Effect<void, never, Scope.Scope>
) => runCase(loopback, options, body).pipe(Effect.scoped)

/** Client options for real-time cases: the default policy scaled down to 20 ms, 40 ms, … */
const fast = (totalRetries: number) => ({ retrySchedule: retrySchedule({ totalRetries, initialDelay: "20 millis" }) })

/**
 * On loopback with two retries: one `fault` is retried on a fresh connection and gives the whole
 * answer; the fault on three attempts in a row is a `TransportError`.
 */
const recoversThenFails = (kind: Kind, fault: (fields: { readonly times?: number }) => Fault.Fault) =>
  real({ client: fast(2) }, (h, ref) =>
    Effect.gen(function*() {
      yield* h.fake.script(fault({}))
      const recovered = yield* call(h, kind)
      expectSameResult(recovered, kind, ref)
      expect(yield* h.attempts).toHaveLength(2)
      expect(recovered.elapsed).toBeLessThan(5_000)
      yield* h.reset
      yield* h.fake.script(fault({ times: 3 }))
      const lost = yield* call(h, kind)
      expect(failureOf(lost.exit)._tag).toBe("TransportError")
      expect(yield* h.attempts).toHaveLength(3)
      expect(lost.elapsed).toBeLessThan(5_000)
    }))

const busy = { error: "Queue full", code: "QUEUE_FULL" }

// ---------------------------------------------------------------------------------------------

describe("503 on every attempt", () => {
  for (const kind of kinds) {
    for (const totalRetries of [0, 3, 8]) {
      it.scoped(`${kind}, totalRetries ${totalRetries}: BusyError after exactly ${totalRetries} retries, delays per policy`, () =>
        virtual({ client: { totalRetries } }, (h) =>
          Effect.gen(function*() {
            yield* h.fake.script(Fault.Status({ status: 503, times: totalRetries + 1, body: busy }))
            const outcome = yield* call(h, kind)
            expect(failureOf(outcome.exit)).toMatchObject({ _tag: "BusyError", status: 503, ...busy })
            const times = (yield* h.attempts).map((attempt) => attempt.at)
            expect(times).toHaveLength(totalRetries + 1)
            expect(gaps(times)).toEqual(policyDelays(totalRetries))
            expect(outcome.elapsed).toBe(sum(policyDelays(totalRetries)))
            expect((yield* h.fake.requests).length).toBe(totalRetries + 1)
            expect(outcome.received).toEqual([])
          })))
    }
  }
})

describe("429 with Retry-After: 2, then 200", () => {
  for (const kind of kinds) {
    it.scoped(`${kind}: succeeds, and the retry waited the 2 s the header asked for`, () =>
      virtual({}, (h, ref) =>
        Effect.gen(function*() {
          yield* h.fake.script(
            Fault.Status({ status: 429, retryAfter: "2", body: { error: "Too many requests", code: "TOO_MANY_REQUESTS" } })
          )
          const outcome = yield* call(h, kind)
          expectSameResult(outcome, kind, ref)
          expect((yield* h.attempts).map((attempt) => attempt.at)).toEqual([0, 2000])
          expect(outcome.elapsed).toBe(2000)
        })))
  }
})

describe("402", () => {
  for (const kind of kinds) {
    it.scoped(`${kind}: QuotaError at once, never retried (even with a Retry-After)`, () =>
      virtual({}, (h) =>
        Effect.gen(function*() {
          yield* h.fake.script(
            Fault.Status({ status: 402, retryAfter: "1", body: { error: "Out of credits", code: "QUOTA_EXCEEDED" } })
          )
          const outcome = yield* call(h, kind)
          expect(failureOf(outcome.exit)).toMatchObject({
            _tag: "QuotaError",
            status: 402,
            code: "QUOTA_EXCEEDED",
            error: "Out of credits"
          })
          expect(outcome.elapsed).toBe(0)
          expect(yield* h.attempts).toHaveLength(1)
          expect(outcome.received).toEqual([])
        })))
  }
})

describe("400 with {error, code}", () => {
  for (const kind of kinds) {
    it.scoped(`${kind}: BadRequestError carrying the code and the message, not retried`, () =>
      virtual({}, (h) =>
        Effect.gen(function*() {
          const body = { error: "The model luminous-base cannot do this", code: "MISSING_CAPABILITY" }
          yield* h.fake.script(Fault.Status({ status: 400, body }))
          const outcome = yield* call(h, kind)
          const error = failureOf(outcome.exit)
          expect(error).toMatchObject({ _tag: "BadRequestError", status: 400, ...body })
          expect(error.message).toContain("MISSING_CAPABILITY")
          expect(error.message).toContain(body.error)
          expect(outcome.elapsed).toBe(0)
          expect(yield* h.attempts).toHaveLength(1)
        })))
  }
})

describe("connection reset before headers", () => {
  for (const kind of kinds) {
    it.scoped(`${kind}, in memory: retried after the policy's delay, then the whole answer`, () =>
      virtual({}, (h, ref) =>
        Effect.gen(function*() {
          yield* h.fake.script(Fault.DropBeforeHeaders())
          const outcome = yield* call(h, kind)
          expectSameResult(outcome, kind, ref)
          expect((yield* h.attempts).map((attempt) => attempt.at)).toEqual([0, 250])
          expect(outcome.elapsed).toBe(250)
        })))

    it.scoped(`${kind}, in memory: on every attempt, TransportError after totalRetries retries`, () =>
      virtual({ client: { totalRetries: 2 } }, (h) =>
        Effect.gen(function*() {
          yield* h.fake.script(Fault.DropBeforeHeaders({ times: 3 }))
          const outcome = yield* call(h, kind)
          expect(failureOf(outcome.exit)._tag).toBe("TransportError")
          expect(gaps((yield* h.attempts).map((attempt) => attempt.at))).toEqual([250, 500])
          expect(outcome.elapsed).toBe(750)
          expect(outcome.received).toEqual([])
        })))

    it.live(`${kind}, on loopback: retried on a fresh connection, then the whole answer; or TransportError`, () =>
      recoversThenFails(kind, Fault.DropBeforeHeaders))
  }
})

describe("connection reset in the middle of a JSON body", () => {
  it.scoped("in memory: TransportError (not DecodeError), retried, then the whole answer", () =>
    virtual({}, (h, ref) =>
      Effect.gen(function*() {
        yield* h.fake.script(Fault.DropMidBody())
        const outcome = yield* call(h, "plain")
        expectSameResult(outcome, "plain", ref)
        expect((yield* h.attempts).map((attempt) => attempt.at)).toEqual([0, 250])
        expect(outcome.elapsed).toBe(250)
      })))

  it.scoped("in memory: on every attempt, TransportError after totalRetries retries", () =>
    virtual({ client: { totalRetries: 3 } }, (h) =>
      Effect.gen(function*() {
        yield* h.fake.script(Fault.DropMidBody({ times: 4 }))
        const outcome = yield* call(h, "plain")
        const error = failureOf(outcome.exit)
        expect(error._tag).toBe("TransportError")
        expect(error.message).toContain("Connection lost while reading")
        expect(gaps((yield* h.attempts).map((attempt) => attempt.at))).toEqual(policyDelays(3))
        expect(outcome.elapsed).toBe(sum(policyDelays(3)))
      })))

  it.live("on loopback: TransportError (not DecodeError), retried on a fresh connection", () =>
    recoversThenFails("plain", Fault.DropMidBody))
})

describe("connection reset after some stream events", () => {
  it.scoped("in memory: TransportError, the events delivered are kept, no retry", () =>
    virtual({}, (h, ref) =>
      Effect.gen(function*() {
        yield* h.fake.script(Fault.DropMidStream({ afterEvents: 3 }))
        const outcome = yield* call(h, "stream")
        expect(failureOf(outcome.exit)._tag).toBe("TransportError")
        expect(outcome.received).toEqual(ref.stream.slice(0, 3))
        expect(yield* h.attempts).toHaveLength(1)
        expect(outcome.elapsed).toBe(0)
      })))

  it.live("on loopback: TransportError, the events delivered are kept, no retry, the socket closed", () =>
    real({}, (h, ref) =>
      Effect.gen(function*() {
        yield* h.fake.script(Fault.DropMidStream({ afterEvents: 3 }))
        const outcome = yield* call(h, "stream")
        expect(failureOf(outcome.exit)._tag).toBe("TransportError")
        expect(outcome.received).toEqual(ref.stream.slice(0, 3))
        expect(yield* h.attempts).toHaveLength(1)
        expect(outcome.elapsed).toBeLessThan(5_000)
      })))
})

describe("stream stalls", () => {
  it.scoped("in memory: RequestTimeoutError exactly streamIdleTimeout after the last event, events kept, no retry", () =>
    virtual({ client: { streamIdleTimeout: "30 seconds" } }, (h, ref) =>
      Effect.gen(function*() {
        yield* h.fake.script(Fault.StallStream({ afterEvents: 3 }))
        const outcome = yield* call(h, "stream")
        const error = failureOf(outcome.exit)
        expect(error).toMatchObject({ _tag: "RequestTimeoutError", origin: "client" })
        expect(error.message).toContain("streamIdleTimeout")
        expect(outcome.received).toEqual(ref.stream.slice(0, 3))
        expect(outcome.elapsed).toBe(30_000)
        expect(yield* h.attempts).toHaveLength(1)
      })))

  it.scoped("in memory: a plain body that stops half-way is a RequestTimeoutError after requestTimeout", () =>
    virtual({ client: { requestTimeout: "10 seconds", totalRetries: 0 } }, (h) =>
      Effect.gen(function*() {
        yield* h.fake.script(Fault.StallBody())
        const outcome = yield* call(h, "plain")
        expect(failureOf(outcome.exit)).toMatchObject({ _tag: "RequestTimeoutError", origin: "client" })
        expect(outcome.elapsed).toBe(10_000)
      })))

  it.live("on loopback: RequestTimeoutError after streamIdleTimeout, the socket closed", () =>
    real({ client: { streamIdleTimeout: "300 millis" } }, (h, ref) =>
      Effect.gen(function*() {
        const idle = yield* h.openConnections
        yield* h.fake.script(Fault.StallStream({ afterEvents: 3 }))
        const outcome = yield* call(h, "stream")
        // the stalled connection is closed at once, not left to the pool
        expect(yield* settle(h.openConnections, idle)).toBeLessThanOrEqual(idle)
        expect(failureOf(outcome.exit)).toMatchObject({ _tag: "RequestTimeoutError", origin: "client" })
        expect(outcome.received).toEqual(ref.stream.slice(0, 3))
        expect(outcome.elapsed).toBeGreaterThanOrEqual(290)
        expect(outcome.elapsed).toBeLessThan(3_000)
        expect(yield* h.attempts).toHaveLength(1)
      })))
})

describe("headers never come", () => {
  for (const kind of kinds) {
    it.scoped(`${kind}, in memory: RequestTimeoutError exactly requestTimeout after the request`, () =>
      virtual({ client: { requestTimeout: "10 seconds", totalRetries: 0 } }, (h) =>
        Effect.gen(function*() {
          yield* h.fake.script(Fault.StallHeaders())
          const outcome = yield* call(h, kind)
          const error = failureOf(outcome.exit)
          expect(error).toMatchObject({ _tag: "RequestTimeoutError", origin: "client" })
          expect(error.message).toContain("requestTimeout")
          expect(outcome.elapsed).toBe(10_000)
        })))

    it.scoped(`${kind}, in memory: each attempt times out on its own and is retried`, () =>
      virtual({ client: { requestTimeout: "10 seconds", totalRetries: 2 } }, (h) =>
        Effect.gen(function*() {
          yield* h.fake.script(Fault.StallHeaders({ times: 3 }))
          const outcome = yield* call(h, kind)
          expect(failureOf(outcome.exit)).toMatchObject({ _tag: "RequestTimeoutError", origin: "client" })
          expect(gaps((yield* h.attempts).map((attempt) => attempt.at))).toEqual([10_250, 10_500])
          expect(outcome.elapsed).toBe(30_750)
        })))

    it.live(`${kind}, on loopback: RequestTimeoutError after requestTimeout, the socket closed`, () =>
      real({ client: { requestTimeout: "300 millis", totalRetries: 0 } }, (h) =>
        Effect.gen(function*() {
          const idle = yield* h.openConnections
          yield* h.fake.script(Fault.StallHeaders())
          const outcome = yield* call(h, kind)
          expect(yield* settle(h.openConnections, idle)).toBeLessThanOrEqual(idle)
          expect(failureOf(outcome.exit)).toMatchObject({ _tag: "RequestTimeoutError", origin: "client" })
          expect(outcome.elapsed).toBeGreaterThanOrEqual(290)
          expect(outcome.elapsed).toBeLessThan(3_000)
        })))
  }
})

// ---------------------------------------------------------------------------------------------
// our own decoding

const sseEvent = (json: unknown) => `data: ${JSON.stringify(json)}\n\n`
const chunkJson = (completion: string) => ({ type: "stream_chunk", index: 0, completion })

/** An SSE event of a stream chunk padded to exactly `size` bytes of lines (the size rule's count). */
const chunkOfSize = (size: number) => {
  const base = `data: ${JSON.stringify(chunkJson(""))}`
  return sseEvent(chunkJson("x".repeat(size - base.length)))
}

describe("our own decoding fails with DecodeError, never a defect", () => {
  it.scoped("a malformed JSON body: DecodeError, not retried", () =>
    virtual({}, (h) =>
      Effect.gen(function*() {
        yield* h.fake.script(Fault.Status({ status: 200, body: "{\"completions\": [{\"completion\": \"x\"" }))
        const outcome = yield* call(h, "plain")
        const error = failureOf(outcome.exit)
        expect(error._tag).toBe("DecodeError")
        expect(error.message).toContain("not valid JSON")
        expect(yield* h.attempts).toHaveLength(1)
        expect(outcome.elapsed).toBe(0)
      })))

  it.scoped("a malformed event: the events before it are delivered, then DecodeError", () =>
    virtual({}, (h) =>
      Effect.gen(function*() {
        yield* h.fake.script(Fault.Status({ status: 200, body: sseEvent(chunkJson(" one")) + "data: {nope}\n\n" }))
        const outcome = yield* call(h, "stream")
        expect(failureOf(outcome.exit)._tag).toBe("DecodeError")
        expect(outcome.received.map((event) => event._tag === "StreamChunk" && event.completion)).toEqual([" one"])
        expect(yield* h.attempts).toHaveLength(1)
        expect(outcome.elapsed).toBe(0)
      })))

  it.scoped("an event of the wrong shape: the events before it are delivered, then DecodeError", () =>
    virtual({}, (h) =>
      Effect.gen(function*() {
        const body = sseEvent(chunkJson(" one")) + sseEvent({ type: "stream_chunk", index: 0, completion: 42 })
        yield* h.fake.script(Fault.Status({ status: 200, body }))
        const outcome = yield* call(h, "stream")
        const error = failureOf(outcome.exit)
        expect(error._tag).toBe("DecodeError")
        expect(error.message).toContain("completion")
        expect(outcome.received.map((event) => event._tag === "StreamChunk" && event.completion)).toEqual([" one"])
        expect(outcome.elapsed).toBe(0)
      })))

  it.scoped("a truncated SSE event: the complete events are delivered, then DecodeError", () =>
    virtual({}, (h) =>
      Effect.gen(function*() {
        const body = sseEvent(chunkJson(" one")) + sseEvent(chunkJson(" two")) + "data: {\"type\":\"stream_chunk\",\"comp"
        yield* h.fake.script(Fault.Status({ status: 200, body }))
        const outcome = yield* call(h, "stream")
        const error = failureOf(outcome.exit)
        expect(error._tag).toBe("DecodeError")
        expect(error.message).toContain("middle of an SSE event")
        expect(outcome.received.map((event) => event._tag === "StreamChunk" && event.completion)).toEqual([" one", " two"])
        expect(yield* h.attempts).toHaveLength(1)
        expect(outcome.elapsed).toBe(0)
      })))

  it.scoped("an event of maxEventSize bytes is accepted; one of maxEventSize + 1 is a DecodeError", () =>
    virtual({ client: { maxEventSize: 256 } }, (h) =>
      Effect.gen(function*() {
        const fits = chunkOfSize(256)
        const over = chunkOfSize(257)
        yield* h.fake.script(Fault.Status({ status: 200, body: fits + fits + over + fits }))
        const outcome = yield* call(h, "stream")
        const error = failureOf(outcome.exit)
        expect(error._tag).toBe("DecodeError")
        expect(error.message).toContain("maxEventSize")
        expect(outcome.received).toHaveLength(2)
        for (const event of outcome.received) {
          expect(event._tag === "StreamChunk" && event.completion.length).toBe(256 - `data: ${JSON.stringify(chunkJson(""))}`.length)
        }
        expect(yield* h.attempts).toHaveLength(1)
        expect(outcome.elapsed).toBe(0)
      })))
})

// ---------------------------------------------------------------------------------------------
// batches

const prompts = Array.from({ length: 1000 }, (_, i) => Prompt.fromText(`prompt number ${i}`))
const batchRequest = new BatchSemanticEmbeddingRequest({ prompts, representation: "symmetric", compressToSize: 128 })

/** The prompt index a recorded batch request starts at. */
const firstPromptOf = (body: unknown) =>
  Number(/prompt number (\d+)/.exec(JSON.stringify((body as { prompts: unknown }).prompts))![1])

describe("one batch of a 1,000-prompt batchSemanticEmbed fails mid-way", () => {
  it.scoped("concurrency 10: the stream delivers every other batch exactly once, then the typed error; the call returns no partial list", () =>
    virtual({ client: { totalRetries: 2 } }, (h) =>
      Effect.gen(function*() {
        const full = valueOf((yield* h.run(h.client.batchSemanticEmbed(batchRequest, model))).exit)
        expect(full.embeddings).toHaveLength(1000)
        const options = { batchSize: 100, concurrency: 10 }
        // the sixth request to arrive fails on every attempt, after the others have answered
        const storm = [
          Fault.Latency({ duration: 0, times: 5 }),
          Fault.Status({ status: 503, body: busy }),
          Fault.Latency({ duration: 0, times: 4 }),
          Fault.Status({ status: 503, body: busy, times: 2 })
        ]

        yield* h.reset
        yield* h.fake.setLatency("5 seconds")
        yield* h.fake.script(...storm)
        const streamed = yield* h.runStream(h.client.batchSemanticEmbedStream(batchRequest, model, options))
        expect(failureOf(streamed.exit)).toMatchObject({ _tag: "BusyError", status: 503, ...busy })
        // ten first attempts, then two retries of the batch that failed
        const sent = (yield* h.fake.requests).map((request) => firstPromptOf(request.body))
        expect(sent).toHaveLength(12)
        expect([...sent.slice(0, 10)].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, k) => k * 100))
        const failed = sent[5]!
        expect(sent.slice(10)).toEqual([failed, failed])
        const delivered = streamed.received as ReadonlyArray<SemanticEmbeddingBatch>
        expect(delivered.map((batch) => batch.offset).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 10 }, (_, k) => k * 100).filter((offset) => offset !== failed)
        )
        for (const batch of delivered) {
          expect(batch.embeddings).toEqual(full.embeddings.slice(batch.offset, batch.offset + 100))
        }
        // the failed batch was retried per policy, each attempt after the server's 5 s
        expect(streamed.elapsed).toBe(5_000 + 250 + 5_000 + 500 + 5_000)

        yield* h.reset
        yield* h.fake.setLatency("5 seconds")
        yield* h.fake.script(...storm)
        const progress: Array<BatchProgress> = []
        const all = yield* h.run(h.client.batchSemanticEmbed(batchRequest, model, { ...options, onProgress: (p) => void progress.push(p) }))
        expect(failureOf(all.exit)).toMatchObject({ _tag: "BusyError", status: 503 })
        expect(progress.map((p) => p.completed)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900])
        expect(all.elapsed).toBe(5_000 + 250 + 5_000 + 500 + 5_000)
        yield* h.fake.setLatency(undefined)
      })))

  it.scoped("concurrency 1: a 400 on the sixth batch stops it; five batches delivered once, nothing after sent", () =>
    virtual({}, (h) =>
      Effect.gen(function*() {
        const full = valueOf((yield* h.run(h.client.batchSemanticEmbed(batchRequest, model))).exit)
        const bad = { error: "Prompt too long", code: "PROMPT_TOO_LONG" }
        const script = [Fault.Latency({ duration: "1 second", times: 5 }), Fault.Status({ status: 400, body: bad })]

        yield* h.reset
        yield* h.fake.script(...script)
        const streamed = yield* h.runStream(h.client.batchSemanticEmbedStream(batchRequest, model, { batchSize: 100 }))
        expect(failureOf(streamed.exit)).toMatchObject({ _tag: "BadRequestError", status: 400, ...bad })
        const delivered = streamed.received as ReadonlyArray<SemanticEmbeddingBatch>
        expect(delivered.map((batch) => batch.offset)).toEqual([0, 100, 200, 300, 400])
        for (const batch of delivered) {
          expect(batch.embeddings).toEqual(full.embeddings.slice(batch.offset, batch.offset + 100))
        }
        expect((yield* h.fake.requests).map((request) => firstPromptOf(request.body))).toEqual([0, 100, 200, 300, 400, 500])
        expect(streamed.elapsed).toBe(5_000)

        yield* h.reset
        yield* h.fake.script(...script)
        const all = yield* h.run(h.client.batchSemanticEmbed(batchRequest, model, { batchSize: 100 }))
        expect(failureOf(all.exit)).toMatchObject({ _tag: "BadRequestError", status: 400 })
        expect(yield* h.fake.requests).toHaveLength(6)
        expect(all.elapsed).toBe(5_000)
      })))
})
