/**
 * The test layers' `retryWait`: a retry schedule whose waits move a `TestClock` on instead of
 * waiting for the test to move it.
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import type * as TestClock from "effect/TestClock"
import type { AlephAlphaHttpOptions } from "../../services/AlephAlphaHttp.js"
import type { Options } from "../AlephAlphaTest.js"

const isTestClock = (clock: Clock.Clock): clock is TestClock.TestClock =>
  Predicate.hasProperty(clock, "adjust") && Predicate.isFunction(clock.adjust)

/**
 * Lets `schedule`'s waits move a `TestClock` on by themselves: each delay is added to the
 * caller's `TestClock` (waking whatever sleeps until then) and not slept. Under any other
 * clock the schedule is unchanged. What `retryWait: "advance"` gives the test layers' client;
 * for a client you build yourself, pass it as its `retrySchedule`.
 */
export const advanceTestClock = <Out, In, R>(schedule: Schedule.Schedule<Out, In, R>): Schedule.Schedule<Out, In, R> =>
  Schedule.modifyDelayEffect(schedule, (_, delay) =>
    Effect.clockWith((clock) =>
      isTestClock(clock) && Duration.greaterThan(delay, Duration.zero)
        ? Effect.as(clock.adjust(delay), Duration.zero)
        : Effect.succeed(delay)))

/**
 * The client options of the test layers: `options.client` with `retryWait` applied to every
 * retry schedule the client runs, per-call ones (`withCallOptions`) included.
 */
export const clientOptions = (options: Options): Partial<AlephAlphaHttpOptions> => {
  const client = options.client ?? {}
  return options.retryWait === "follow" ? client : { ...client, adaptRetrySchedule: advanceTestClock }
}
