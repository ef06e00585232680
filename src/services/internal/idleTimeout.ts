/**
 * A stream's idle timeout with one timer per stream instead of a fiber per read.
 */
import type * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/**
 * Fails `self` with `onTimeout()` once a read from it has waited `millis`. The time the consumer
 * spends between reads does not count, as with `Stream.timeoutFail`, which forks a fiber per read
 * (about 45 µs each: most of a token-by-token stream's cost); here a read costs two clock reads,
 * and one timer per stream wakes up at most once per `millis`. Nothing can cut a pending read
 * short from outside: at the deadline `abort` must end the body (e.g. close the request's scope),
 * whatever upstream then does becomes `onTimeout()`. Live clock only: `setTimeout`, not `Clock`.
 */
export const failWhenIdle = <A, E, R, E2>(
  self: Stream.Stream<A, E, R>,
  millis: number,
  abort: () => void,
  onTimeout: () => E2
): Stream.Stream<A, E | E2, R> =>
  Stream.suspend(() => {
    // when the pending read started; -1 while none is pending
    let waitingSince = -1
    let timedOut = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const arm = (delay: number) => {
      timer = setTimeout(check, delay)
    }
    const check = () => {
      timer = undefined
      if (waitingSince < 0) return arm(millis)
      const quiet = performance.now() - waitingSince
      if (quiet < millis) return arm(millis - quiet)
      timedOut = true
      abort()
    }
    const loop: Channel.Channel<Chunk.Chunk<A>, Chunk.Chunk<A>, E | E2, E, unknown, unknown> = Channel.suspend(() => {
      waitingSince = performance.now()
      return Channel.readWithCause({
        onInput: (chunk: Chunk.Chunk<A>) => {
          waitingSince = -1
          return Channel.zipRight(Channel.write(chunk), loop)
        },
        onFailure: (cause: Cause.Cause<E>): Channel.Channel<never, unknown, E | E2> =>
          timedOut ? Channel.fail(onTimeout()) : Channel.failCause(cause),
        onDone: (): Channel.Channel<never, unknown, E2> => timedOut ? Channel.fail(onTimeout()) : Channel.void
      })
    })
    arm(millis)
    return Stream.ensuring(
      Stream.pipeThroughChannel(self, loop),
      Effect.sync(() => clearTimeout(timer))
    )
  })
