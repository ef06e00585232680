/**
 * Server-Sent-Events framing (WHATWG HTML, "Interpreting an event stream") for streamed
 * response bodies.
 *
 * Our own rather than `@effect/experimental`'s `Sse` (DESIGN §2): that one mis-joins a CRLF
 * split across chunks, turns an oversized event into a defect and sleeps on `retry:` lines.
 * `[DONE]` is an ordinary data value here; the transport decides what it means.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { DecodeError } from "../errors/AlephAlphaError.js"
import { mapChunksOrFail } from "./internal/chunks.js"

/** One dispatched event. `event` and `id` are `undefined` when empty, as the spec's defaults. */
export interface SseEvent {
  readonly event: string | undefined
  readonly data: string
  readonly id: string | undefined
}

const LF = 0x0a
const CR = 0x0d
const COLON = 0x3a
const BOM = new Uint8Array([0xef, 0xbb, 0xbf])

// Each line is decoded in one non-streaming call, so the decoder holds no state between calls
// and can be shared. `ignoreBOM` keeps a U+FEFF that starts a later line: the spec strips a
// BOM only at the start of the stream, which `SseDecoder` does on bytes.
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

const tooLarge = (maxEventSize: number): DecodeError =>
  new DecodeError({ message: `SSE event exceeds maxEventSize (${maxEventSize} bytes)` })

const truncated = (): DecodeError => new DecodeError({ message: "stream ended in the middle of an SSE event" })

/**
 * A chunk-wise, synchronous SSE decoder: feed it the body with `push`, then call `end`.
 *
 * Lines are split on bytes (CR, LF and CRLF never occur inside a multi-byte UTF-8 sequence),
 * so a chunk may end anywhere, including between the CR and LF of one line ending.
 *
 * Size rule: the bytes of one event's lines (field names, colons and values, without line
 * terminators, comments included, counted from the previous blank line, including the
 * partial line still waiting for its terminator) may not exceed `maxEventSize`. A leading BOM
 * is not counted. This also bounds memory for a body that never sends a line ending.
 *
 * `push` and `end` throw a `DecodeError` on a framing problem; the decoder is single-use and
 * must be discarded after a throw. `decodeSse` turns the throw into a typed failure.
 */
export class SseDecoder {
  // The current partial line, one segment per chunk, joined once when its terminator arrives
  // (repeated concatenation would be quadratic for a long line split into many chunks).
  private segments: Array<Uint8Array> = []
  private partialLength = 0
  // Bytes of the current event's complete lines, for the size rule.
  private eventLength = 0
  // The last chunk ended on CR: an LF at the start of the next one ends the same line.
  private pendingCR = false
  // Bytes of a leading BOM matched so far; 3 once the start of the stream is behind us.
  private bomMatched = 0
  private data: string | undefined = undefined
  private eventType = ""
  // Per spec the last event ID survives dispatch: later events without `id:` inherit it.
  private lastEventId = ""

  constructor(readonly maxEventSize: number) {}

  /**
   * Decodes `chunk`, appending the events it completes to `out` (a new array by default) and
   * returning `out`. On a throw, the events appended before the bad one stay in `out`.
   */
  push(chunk: Uint8Array, out: Array<SseEvent> = []): Array<SseEvent> {
    const length = chunk.length
    let pos = 0
    if (this.bomMatched < 3) {
      pos = this.skipBom(chunk)
    }
    if (this.pendingCR && pos < length) {
      this.pendingCR = false
      if (chunk[pos] === LF) pos++
    }
    // Native indexOf is much faster than a byte loop; each position is cached until passed,
    // so a chunk without any CR is scanned for CR once, not once per line.
    let lf = chunk.indexOf(LF, pos)
    let cr = chunk.indexOf(CR, pos)
    while (lf !== -1 || cr !== -1) {
      const eol = lf === -1 ? cr : cr === -1 ? lf : lf < cr ? lf : cr
      this.line(chunk, pos, eol, out)
      pos = eol + 1
      if (eol === cr) {
        if (pos === length) this.pendingCR = true
        else if (chunk[pos] === LF) pos++
      }
      if (lf !== -1 && lf < pos) lf = chunk.indexOf(LF, pos)
      if (cr !== -1 && cr < pos) cr = chunk.indexOf(CR, pos)
    }
    if (pos < length) {
      const rest = length - pos
      if (this.eventLength + this.partialLength + rest > this.maxEventSize) {
        throw tooLarge(this.maxEventSize)
      }
      // A copy, so that the producer may reuse its buffer and a large chunk is not retained.
      this.segments.push(chunk.slice(pos))
      this.partialLength += rest
    }
    return out
  }

  end(): Array<SseEvent> {
    // The spec silently drops an unfinished event; for an API response it means a cut body.
    if (this.partialLength > 0 || (this.bomMatched > 0 && this.bomMatched < 3) || this.data !== undefined) {
      throw truncated()
    }
    return []
  }

  private skipBom(chunk: Uint8Array): number {
    let i = 0
    while (i < chunk.length && this.bomMatched < 3) {
      if (chunk[i] !== BOM[this.bomMatched]) {
        // Not a BOM after all (EF BB starts other characters too): the held-back bytes are
        // the start of the first line.
        if (this.bomMatched > 0) {
          this.segments.push(BOM.subarray(0, this.bomMatched))
          this.partialLength = this.bomMatched
        }
        this.bomMatched = 3
        return i
      }
      this.bomMatched++
      i++
    }
    return i
  }

  private line(chunk: Uint8Array, start: number, end: number, out: Array<SseEvent>): void {
    const lineLength = this.partialLength + (end - start)
    if (lineLength === 0) {
      this.dispatch(out)
      return
    }
    if (this.eventLength + lineLength > this.maxEventSize) {
      throw tooLarge(this.maxEventSize)
    }
    this.eventLength += lineLength
    let bytes: Uint8Array
    if (this.partialLength === 0) {
      bytes = chunk.subarray(start, end)
    } else {
      bytes = new Uint8Array(lineLength)
      let offset = 0
      for (const segment of this.segments) {
        bytes.set(segment, offset)
        offset += segment.length
      }
      bytes.set(chunk.subarray(start, end), offset)
      this.segments = []
      this.partialLength = 0
    }
    // Comments are skipped without paying for a decode.
    if (bytes[0] === COLON) return
    this.field(utf8.decode(bytes))
  }

  private field(line: string): void {
    const colon = line.indexOf(":")
    let name: string
    let value: string
    if (colon === -1) {
      name = line
      value = ""
    } else {
      name = line.slice(0, colon)
      value = line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1)
    }
    switch (name) {
      case "data":
        this.data = this.data === undefined ? value : this.data + "\n" + value
        break
      case "event":
        this.eventType = value
        break
      case "id":
        if (!value.includes("\u0000")) this.lastEventId = value
        break
        // `retry` only tunes reconnection, which we never do; unknown fields are ignored by spec.
    }
  }

  private dispatch(out: Array<SseEvent>): void {
    if (this.data !== undefined) {
      out.push({
        event: this.eventType === "" ? undefined : this.eventType,
        data: this.data,
        id: this.lastEventId === "" ? undefined : this.lastEventId
      })
    }
    this.data = undefined
    this.eventType = ""
    this.eventLength = 0
  }
}

const toDecodeError = (cause: unknown): DecodeError =>
  cause instanceof DecodeError ? cause : new DecodeError({ message: "SSE decoding failed", cause })

const pushAll = (decoder: SseDecoder, chunk: Chunk.Chunk<Uint8Array>, out: Array<SseEvent>): DecodeError | undefined => {
  try {
    for (const bytes of chunk) decoder.push(bytes, out)
    return undefined
  } catch (cause) {
    return toDecodeError(cause)
  }
}

/**
 * Decodes a byte stream into SSE events, one step per incoming chunk. Framing problems
 * (an oversized event, a body cut in the middle of an event) fail with `DecodeError`, after
 * the events completed before the problem (whatever chunk they arrived in).
 */
export const decodeSse = (options: { readonly maxEventSize: number }) =>
<E, R>(self: Stream.Stream<Uint8Array, E, R>): Stream.Stream<SseEvent, E | DecodeError, R> =>
  // A fresh decoder per run, so that a retried or re-run stream starts from a clean state.
  Stream.suspend(() => {
    const decoder = new SseDecoder(options.maxEventSize)
    return Stream.concat(
      mapChunksOrFail((chunk: Chunk.Chunk<Uint8Array>, out: Array<SseEvent>) => pushAll(decoder, chunk, out))(self),
      // Runs only once upstream has finished without failing.
      Stream.fromIterableEffect(Effect.try({ try: () => decoder.end(), catch: toDecodeError }))
    )
  })
