/**
 * The retry policy: which failures are retried and how long to wait (DESIGN §5).
 */
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import type { AlephAlphaError } from "../errors/AlephAlphaError.js"

/** The longest wait a server's `Retry-After` may impose; a larger value is clamped to it. */
export const maxRetryAfter: Duration.Duration = Duration.seconds(60)

/** Options of {@link retrySchedule}. */
export interface RetryScheduleOptions {
  /** How many times to retry after the first attempt. Default: 8. */
  readonly totalRetries?: number | undefined
  /** The first backoff delay. Default: 250 millis. */
  readonly initialDelay?: Duration.DurationInput | undefined
  /** The growth factor of the backoff. Default: 2. */
  readonly factor?: number | undefined
  /** The largest backoff delay before jitter. Default: 30 seconds. */
  readonly maxDelay?: Duration.DurationInput | undefined
}

const retryAfterOf = (input: unknown): Duration.Duration | undefined =>
  Predicate.hasProperty(input, "retryAfter") && Duration.isDuration(input.retryAfter)
    ? input.retryAfter
    : undefined

/**
 * Lets `self` honour the server: when the failure carries a `retryAfter` (from `Retry-After`
 * or `retry-after-ms`), that wait replaces the schedule's delay, clamped to 60 seconds.
 */
export const withRetryAfter = <Out, In, R>(
  self: Schedule.Schedule<Out, In, R>
): Schedule.Schedule<Out, In, R> =>
  Schedule.intersect(self, Schedule.identity<In>()).pipe(
    Schedule.modifyDelay(([, input], delay) => {
      const retryAfter = retryAfterOf(input)
      return retryAfter === undefined ? delay : Duration.min(retryAfter, maxRetryAfter)
    }),
    Schedule.map(([out]) => out)
  )

/**
 * The default policy: exponential backoff from 250 ms, factor 2, capped at 30 s, jittered by
 * 0.8–1.2, at most 8 retries, with `Retry-After` honoured. Which failures are retried is not
 * the schedule's business: the transport always combines it with `isRetryable`.
 */
export const retrySchedule = (
  options: RetryScheduleOptions = {}
): Schedule.Schedule<unknown, AlephAlphaError> => {
  const maxDelay = Duration.decode(options.maxDelay ?? Duration.seconds(30))
  return Schedule.exponential(options.initialDelay ?? Duration.millis(250), options.factor ?? 2).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay)),
    // jitter after the cap, so that clients stuck at the cap still spread out
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(options.totalRetries ?? 8)),
    Schedule.as<unknown>(undefined),
    withRetryAfter
  )
}
