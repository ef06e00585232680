import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Random, Schedule } from "effect"
import {
  type AlephAlphaError,
  BadRequestError,
  BusyError,
  isRetryable,
  QuotaError,
  RateLimitError,
  RequestTimeoutError,
  retrySchedule,
  ServerError,
  TransportError,
  UnexpectedStatusError,
  withRetryAfter
} from "../src/index.js"

// Schedule.run also emits the output of the step that ends the schedule: drop it.
const retryDelays = (schedule: Schedule.Schedule<unknown, AlephAlphaError>, inputs: ReadonlyArray<AlephAlphaError>) =>
  Effect.map(
    Schedule.run(Schedule.delays(schedule), 0, inputs),
    (steps) => Array.from(steps).map(Duration.toMillis).slice(0, steps.length < inputs.length ? -1 : undefined)
  )

const busy = new BusyError({ status: 503, error: "busy" })

describe("retrySchedule", () => {
  it.effect("backs off 250 ms doubling to a 30 s cap, 8 retries, with jitter pinned at 1.0", () =>
    Effect.gen(function*() {
      const schedule = retrySchedule()
      const steps = yield* retryDelays(schedule, Array.from({ length: 12 }, () => busy))
        .pipe(Effect.withRandom(Random.fixed([0.5])))
      expect(steps).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000])
    }))

  it.effect("jitters each delay by a factor between 0.8 and 1.2", () =>
    Effect.gen(function*() {
      const inputs = [busy, busy, busy, busy, busy]
      const low = yield* retryDelays(retrySchedule({ totalRetries: 3 }), inputs).pipe(Effect.withRandom(Random.fixed([0])))
      const high = yield* retryDelays(retrySchedule({ totalRetries: 3 }), inputs)
        .pipe(Effect.withRandom(Random.fixed([0.999999])))
      expect(low).toEqual([200, 400, 800])
      expect(high.map(Math.round)).toEqual([300, 600, 1200])
    }))

  it.effect("stops after totalRetries", () =>
    Effect.gen(function*() {
      const steps = yield* retryDelays(retrySchedule({ totalRetries: 2 }), [busy, busy, busy, busy])
        .pipe(Effect.withRandom(Random.fixed([0.5])))
      expect(steps).toEqual([250, 500])
    }))

  it.effect("lets Retry-After replace the backoff and clamps it to 60 s", () =>
    Effect.gen(function*() {
      const inputs = [
        new RateLimitError({ status: 429, error: "slow down", retryAfter: Duration.seconds(2) }),
        busy,
        new BusyError({ status: 503, error: "busy", retryAfter: Duration.seconds(600) })
      ]
      const steps = yield* retryDelays(retrySchedule(), inputs).pipe(Effect.withRandom(Random.fixed([0.5])))
      expect(steps).toEqual([2000, 500, 60000])
    }))

  it.effect("withRetryAfter makes any schedule honour the server's wait", () =>
    Effect.gen(function*() {
      const schedule = withRetryAfter(Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(2))))
      const steps = yield* retryDelays(schedule, [
        new RateLimitError({ status: 429, error: "", retryAfter: Duration.millis(1500) }),
        busy
      ])
      expect(steps).toEqual([1500, 1000])
    }))
})

describe("isRetryable", () => {
  it("retries 408, 429, 500, 502, 503, 504, transport failures and client timeouts only", () => {
    const yes: ReadonlyArray<AlephAlphaError> = [
      new RequestTimeoutError({ origin: "server", status: 408, error: "" }),
      new RequestTimeoutError({ origin: "client", error: "" }),
      new RateLimitError({ status: 429, error: "" }),
      new ServerError({ status: 500, error: "" }),
      new ServerError({ status: 502, error: "" }),
      new BusyError({ status: 503, error: "" }),
      new ServerError({ status: 504, error: "" }),
      new TransportError({ message: "reset" })
    ]
    const no: ReadonlyArray<AlephAlphaError> = [
      new BadRequestError({ status: 400, error: "" }),
      new QuotaError({ status: 402, error: "" }),
      new ServerError({ status: 501, error: "" }),
      new UnexpectedStatusError({ status: 409, error: "" })
    ]
    expect(yes.map(isRetryable)).toEqual(yes.map(() => true))
    expect(no.map(isRetryable)).toEqual(no.map(() => false))
  })
})
