/**
 * A Node `Readable` as an Effect `Stream`: `@effect/platform-node`'s `NodeStream.fromReadable`
 * (MIT, Effectful Technologies), kept here so that the undici transport needs no platform-node.
 * Reads whatever is buffered on each `'readable'` event into one chunk; the stream is destroyed
 * when the Effect stream ends or is interrupted, which closes the HTTP request.
 */
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import type { Readable } from "node:stream"

/** The bytes of `evaluate()`'s readable; an `'error'` event fails the stream with `onError(error)`. */
export const fromReadable = <E>(evaluate: () => Readable, onError: (error: unknown) => E): Stream.Stream<Uint8Array, E> =>
  Stream.fromChannel(Channel.suspend(() => read(evaluate(), onError)))

const read = <E>(readable: Readable, onError: (error: unknown) => E): Channel.Channel<Chunk.Chunk<Uint8Array>, unknown, E> => {
  if (!readable.readable) return Channel.void
  let exit: Exit.Exit<void, E> | undefined
  const latch = Effect.unsafeMakeLatch(false)
  const onReadable = () => latch.unsafeOpen()
  const onErr = (error: unknown) => {
    exit = Exit.fail(onError(error))
    latch.unsafeOpen()
  }
  const onEnd = () => {
    exit = Exit.void
    latch.unsafeOpen()
  }
  readable.on("readable", onReadable)
  readable.on("error", onErr)
  readable.on("end", onEnd)

  const loop = (): Channel.Channel<Chunk.Chunk<Uint8Array>, unknown, E> => {
    let item = readable.read() as Uint8Array | null
    if (item === null) {
      if (exit !== undefined) return Channel.fromEffect(exit)
      latch.unsafeClose()
      return Channel.flatMap(latch.await, loop)
    }
    const items = [item]
    while ((item = readable.read() as Uint8Array | null) !== null) items.push(item)
    return Channel.flatMap(Channel.write(Chunk.unsafeFromArray(items)), loop)
  }

  return Channel.ensuring(
    Channel.suspend(loop),
    Effect.sync(() => {
      readable.off("readable", onReadable)
      readable.off("error", onErr)
      readable.off("end", onEnd)
      if (!readable.closed) readable.destroy()
    })
  )
}
