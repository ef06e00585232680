/**
 * The test layers under `@effect/vitest`: in `it.effect` the clock is a `TestClock` that stands
 * still, and a retried call must still finish (issue 19 point 7). Each test has a short vitest
 * timeout, so a call that waits forever on the clock fails the test instead of hanging it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Clock, Duration, Effect, Fiber, Schedule, Stream, TestClock } from "effect"
import { AlephAlphaHttp, ChatRequest, Client, CompletionRequest, Message, Prompt } from "../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../src/testing/index.js"
import { Loopback } from "../src/testing/node/index.js"

const completion = new CompletionRequest({ prompt: Prompt.fromText("an apple a day"), maximumTokens: 4 })
const busy = Fault.Status({ status: 503, body: { error: "Queue full", code: "QUEUE_FULL" } })
const timeout = 10_000

/** Runs `effect`, returning its value and the virtual time it took. */
const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const value = yield* effect
    return { value, elapsed: (yield* Clock.currentTimeMillis) - start }
  })

/** Yields until the fake server has received `n` requests. */
const received = (n: number) =>
  Effect.gen(function*() {
    const server = yield* FakeServer.FakeServer
    while ((yield* server.requests).length < n) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 1)))
  })

describe("AlephAlphaTest.layer under TestClock", () => {
  it.effect("finishes a call that meets a 503 and then succeeds, the backoff passing in virtual time", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      const client = yield* Client
      yield* server.script(busy)
      const { value, elapsed } = yield* timed(client.complete(completion, "luminous-base"))
      expect(value.completions[0]?.completion).toContain("apple")
      expect(yield* server.requests).toHaveLength(2)
      // the first backoff: 250 ms, jittered by 0.8–1.2
      expect(elapsed).toBeGreaterThanOrEqual(200)
      expect(elapsed).toBeLessThanOrEqual(300)
    }).pipe(Effect.provide(AlephAlphaTest.layer())), timeout)

  it.effect("waits the server's Retry-After, and retries a stream that failed before its headers", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      const client = yield* Client
      yield* server.script(Fault.Status({ status: 429, retryAfter: "7", path: "chat/completions", times: 2 }))
      const request = new ChatRequest({ messages: [new Message({ role: "user", content: "red apples" })], maximumTokens: 2 })
      const { value, elapsed } = yield* timed(Stream.runCollect(client.chatWithStreaming(request, "llama-3.1-8b-instruct")))
      expect(Chunk.size(value)).toBeGreaterThan(0)
      expect(elapsed).toBe(14_000)
    }).pipe(Effect.provide(AlephAlphaTest.layer())), timeout)

  it.effect("advances a custom retrySchedule and stops after its totalRetries", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      const client = yield* Client
      yield* server.script({ ...busy, times: 10 })
      const { value, elapsed } = yield* timed(Effect.flip(client.complete(completion, "luminous-base")))
      expect(value._tag).toBe("BusyError")
      expect(yield* server.requests).toHaveLength(4)
      expect(elapsed).toBe(3_000)
    }).pipe(Effect.provide(AlephAlphaTest.layer({ client: { retrySchedule: Schedule.intersect(Schedule.spaced("1 second"), Schedule.recurs(3)) } }))), timeout)

  it.effect("keeps totalRetries", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      const client = yield* Client
      yield* server.script({ ...busy, times: 10 })
      expect((yield* Effect.flip(client.complete(completion, "luminous-base")))._tag).toBe("BusyError")
      expect(yield* server.requests).toHaveLength(3)
    }).pipe(Effect.provide(AlephAlphaTest.layer({ client: { totalRetries: 2 } }))), timeout)

  it.effect("advances the waits of a per-call retry override too", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      const client = yield* Client
      yield* server.script({ ...busy, times: 10 })
      const { value, elapsed } = yield* timed(Effect.flip(
        client.complete(completion, "luminous-base").pipe(
          AlephAlphaHttp.withCallOptions({ retrySchedule: Schedule.intersect(Schedule.spaced("2 seconds"), Schedule.recurs(2)) })
        )
      ))
      expect(value._tag).toBe("BusyError")
      expect(yield* server.requests).toHaveLength(3)
      expect(elapsed).toBe(4_000)
      yield* server.reset
      yield* server.script({ ...busy, times: 1 })
      yield* client.complete(completion, "luminous-base").pipe(AlephAlphaHttp.withCallOptions({ totalRetries: 1 }))
      expect(yield* server.requests).toHaveLength(2)
    }).pipe(Effect.provide(AlephAlphaTest.layer())), timeout)

  it.effect("leaves the wait to the test with retryWait: \"follow\"", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      const client = yield* Client
      yield* server.script(Fault.Status({ status: 503, retryAfter: "2" }))
      const call = yield* Effect.fork(client.complete(completion, "luminous-base"))
      yield* received(1)
      yield* TestClock.adjust("1999 millis")
      expect(yield* server.requests).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(call)
      expect(yield* server.requests).toHaveLength(2)
    }).pipe(Effect.provide(AlephAlphaTest.layer({ retryWait: "follow" }))), timeout)

  it.effect("advances the clock for the client over the fake server on 127.0.0.1 too", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      const client = yield* Client
      yield* server.script(busy)
      yield* client.complete(completion, "luminous-base")
      expect(yield* server.requests).toHaveLength(2)
    }).pipe(Effect.provide(Loopback.layerClient())), timeout)
})

describe("AlephAlphaTest.advanceTestClock", () => {
  it.effect("sleeps the schedule's delays under any clock but a TestClock", () =>
    Effect.gen(function*() {
      const slept: Array<number> = []
      const recording: Clock.Clock = {
        ...Clock.make(),
        sleep: (duration) => Effect.sync(() => void slept.push(Duration.toMillis(duration)))
      }
      const schedule = AlephAlphaTest.advanceTestClock(Schedule.intersect(Schedule.spaced("5 seconds"), Schedule.recurs(2)))
      const driver = yield* Schedule.driver(schedule)
      yield* Effect.withClock(Effect.zip(driver.next(undefined), driver.next(undefined)), recording)
      expect(slept).toEqual([5_000, 5_000])
    }))

  it.effect("moves the TestClock on instead of waiting for it", () =>
    Effect.gen(function*() {
      const driver = yield* Schedule.driver(AlephAlphaTest.advanceTestClock(Schedule.spaced("5 seconds")))
      const { elapsed } = yield* timed(Effect.zip(driver.next(undefined), driver.next(undefined)))
      expect(elapsed).toBe(10_000)
    }), timeout)
})

