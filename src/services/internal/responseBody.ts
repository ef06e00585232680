/**
 * Reading an answer's body as text within a size limit, so a server cannot make the client
 * hold more than about twice the limit in memory.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"

/**
 * The key of a response's own bounded reader. The undici transport has one: reading a small
 * chunked answer through its `Stream` would cost a plain call about as much as the rest of it.
 */
export const BoundedText: unique symbol = Symbol.for("aleph-alpha-client/BoundedText")

/** A response that reads its body within a limit itself. */
export interface BoundedTextReader {
  /**
   * The body as UTF-8 text. When `Content-Length` declares more than `limit` bytes, or more
   * arrive, reading stops and the body is released: the result is then `undefined`, or with
   * `truncate` the text of the first `limit` bytes (a declared length alone is not refused).
   */
  readonly [BoundedText]: (
    limit: number,
    truncate: boolean
  ) => Effect.Effect<string | undefined, HttpClientError.ResponseError>
}

/** The body length the answer declares, if it declares one that is a number. */
export const declaredLength = (response: HttpClientResponse.HttpClientResponse): number | undefined => {
  const header = response.headers["content-length"]
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined
  return Number(header)
}

/** Reads the body as text within `limit` bytes, with the meaning of {@link BoundedTextReader}. */
export const readText = (
  response: HttpClientResponse.HttpClientResponse,
  limit: number,
  truncate: boolean
): Effect.Effect<string | undefined, HttpClientError.ResponseError> => {
  if (BoundedText in response) return (response as unknown as BoundedTextReader)[BoundedText](limit, truncate)
  const declared = declaredLength(response)
  // every transport stops reading at the declared length
  if (declared !== undefined && declared <= limit) return response.text
  if (declared !== undefined && !truncate) return Effect.succeed(undefined)
  return readStream(response.stream, limit, truncate).pipe(
    // no body at all (a browser's opaque answer to a redirect not followed) reads as "", as `text` does
    Effect.catchIf((error) => error.reason === "EmptyBody", () => Effect.succeed(""))
  )
}

/** Counts the bytes as they come and decodes each chunk at once, so only the text is kept. */
const readStream = (
  stream: Stream.Stream<Uint8Array, HttpClientError.ResponseError>,
  limit: number,
  truncate: boolean
): Effect.Effect<string | undefined, HttpClientError.ResponseError> =>
  Effect.suspend(() => {
    const decoder = new TextDecoder()
    // appending makes a rope, flattened once when it is read: no quadratic copying
    let text = ""
    let size = 0
    let over = false
    return Stream.runForEachWhile(stream, (bytes) =>
      Effect.sync(() => {
        const room = limit - size
        size += bytes.length
        if (bytes.length > room) {
          over = true
          if (truncate) text += decoder.decode(bytes.subarray(0, room))
          return false
        }
        text += decoder.decode(bytes, { stream: true })
        return true
      })).pipe(Effect.map(() => over ? (truncate ? text : undefined) : text + decoder.decode()))
  })
