/**
 * A chunk-wise stream step that keeps what it produced before a failure.
 */
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Stream from "effect/Stream"

/**
 * Maps each incoming chunk with `f`, which appends its outputs to `out` and returns a failure to
 * stop the stream (or `undefined` to go on). The outputs appended before a failure are emitted
 * first, so what the stream delivers does not depend on how the input happened to be chunked:
 * the values before a bad one arrive whether or not they came in the same network read.
 * (`Stream.mapChunksEffect` would drop them with the failing chunk.)
 */
export const mapChunksOrFail = <A, B, E2>(
  f: (chunk: Chunk.Chunk<A>, out: Array<B>) => E2 | undefined
) =>
<E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<B, E | E2, R> => {
  const loop: Channel.Channel<Chunk.Chunk<B>, Chunk.Chunk<A>, E | E2, E, unknown, unknown> = Channel.readWithCause({
    onInput: (chunk: Chunk.Chunk<A>) => {
      const out: Array<B> = []
      const failure = f(chunk, out)
      const emit = out.length === 0 ? Channel.void : Channel.write(Chunk.unsafeFromArray(out))
      return failure === undefined ? Channel.zipRight(emit, loop) : Channel.zipRight(emit, Channel.fail(failure))
    },
    onFailure: Channel.failCause,
    onDone: () => Channel.void
  })
  return Stream.pipeThroughChannel(self, loop)
}
