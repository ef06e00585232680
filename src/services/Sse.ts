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
const SPACE = 0x20
const BOM = new Uint8Array([0xef, 0xbb, 0xbf])

// Node's (and Bun's and Deno's) `Buffer`, when there is one: read off `globalThis`, not imported.
const NodeBuffer = (globalThis as { readonly Buffer?: { isBuffer(value: unknown): boolean } }).Buffer

const tooLarge = (maxEventSize: number): DecodeError =>
  new DecodeError({ message: `SSE event exceeds maxEventSize (${maxEventSize} bytes)` })

const truncated = (): DecodeError => new DecodeError({ message: "stream ended in the middle of an SSE event" })

/**
 * A chunk-wise, synchronous SSE decoder: feed it the body with `push`, then call `end`.
 *
 * Each chunk is decoded to text in one streaming UTF-8 decode (a character split across
 * chunks is carried over), and lines are cut from that text. CR and LF are one byte and one
 * character each and never part of a multi-byte sequence or of an invalid one, so a chunk may
 * end anywhere, including between the CR and LF of one line ending.
 *
 * Size rule: the bytes of one event's lines (field names, colons and values, without line
 * terminators, comments included, counted from the previous blank line, including the
 * partial line still waiting for its terminator) may not exceed `maxEventSize`. A leading BOM
 * is not counted. This also bounds memory for a body that never sends a line ending. Bytes are
 * counted on the text when every character of the chunk is one byte of it (nearly always: JSON
 * events are mostly ASCII), and otherwise by finding each line ending in the bytes as well.
 *
 * `push` and `end` throw a `DecodeError` on a framing problem; the decoder is single-use and
 * must be discarded after a throw. `decodeSse` turns the throw into a typed failure.
 */
export class SseDecoder {
  // Streaming, so that a character split across chunks is decoded whole. `ignoreBOM` keeps a
  // U+FEFF that starts a later line: the spec strips a BOM only at the start of the stream,
  // which `push` does on bytes.
  private readonly utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })
  // The text of the current partial line (V8 concatenates strings as ropes: not quadratic).
  private partial = ""
  // Its bytes, for the size rule.
  private partialLength = 0
  // Bytes of the current event's complete lines, for the size rule.
  private eventLength = 0
  // The last chunk ended on CR: an LF at the start of the next one ends the same line.
  private pendingCR = false
  // The last chunk ended inside a multi-byte sequence, maybe: the next one's text does not map
  // character for byte onto its bytes.
  private carried = false
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
    if (this.bomMatched < 3) {
      chunk = this.skipBom(chunk)
    }
    const length = chunk.length
    if (length === 0) return out
    const text = this.decode(chunk)
    // Every character is one byte of this chunk (each character takes at least one byte, and
    // nothing came from the previous chunk): positions in the text are positions in the bytes.
    const exact = !this.carried && text.length === length
    this.carried = chunk[length - 1]! >= 0x80
    let pos = 0
    let bytePos = 0
    if (this.pendingCR) {
      this.pendingCR = false
      if (text.charCodeAt(0) === LF) {
        pos = 1
        bytePos = 1
      }
    }
    // Native indexOf is much faster than a character loop; each position is cached until
    // passed, so a chunk without any CR is scanned for CR once, not once per line.
    let lf = text.indexOf("\n", pos)
    let cr = text.indexOf("\r", pos)
    let byteLf = exact ? -1 : chunk.indexOf(LF, bytePos)
    let byteCr = exact ? -1 : chunk.indexOf(CR, bytePos)
    while (lf !== -1 || cr !== -1) {
      const eol = lf === -1 ? cr : cr === -1 ? lf : lf < cr ? lf : cr
      let byteEol = eol
      if (!exact) {
        // the same line ending, found in the bytes
        byteEol = byteLf === -1 ? byteCr : byteCr === -1 ? byteLf : byteLf < byteCr ? byteLf : byteCr
        this.line(text, pos, eol, byteEol - bytePos, out)
      } else {
        this.line(text, pos, eol, eol - pos, out)
      }
      pos = eol + 1
      bytePos = byteEol + 1
      if (eol === cr) {
        if (pos === text.length) this.pendingCR = true
        else if (text.charCodeAt(pos) === LF) {
          pos++
          bytePos++
        }
      }
      if (lf !== -1 && lf < pos) lf = text.indexOf("\n", pos)
      if (cr !== -1 && cr < pos) cr = text.indexOf("\r", pos)
      if (!exact) {
        if (byteLf !== -1 && byteLf < bytePos) byteLf = chunk.indexOf(LF, bytePos)
        if (byteCr !== -1 && byteCr < bytePos) byteCr = chunk.indexOf(CR, bytePos)
      }
    }
    const rest = length - bytePos
    if (rest > 0) {
      if (this.eventLength + this.partialLength + rest > this.maxEventSize) {
        throw tooLarge(this.maxEventSize)
      }
      this.partial += text.slice(pos)
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

  /** The text of `chunk`, with what the previous chunk left of a character. */
  private decode(chunk: Uint8Array): string {
    // Nothing carried in or out: the chunk decodes on its own. Node's `Buffer` decodes it several
    // times faster than `TextDecoder`, and the same way unless it had to replace a bad sequence.
    if (!this.carried && chunk[chunk.length - 1]! < 0x80) {
      if (NodeBuffer?.isBuffer(chunk) === true) {
        const text = (chunk as Uint8Array & { toString(encoding: "utf8"): string }).toString("utf8")
        if (text.indexOf("\uFFFD") === -1) return text
      }
      return this.utf8.decode(chunk)
    }
    return this.utf8.decode(chunk, { stream: true })
  }

  /** `chunk` without the bytes of a leading BOM; held-back bytes that were no BOM after all put back. */
  private skipBom(chunk: Uint8Array): Uint8Array {
    let i = 0
    while (i < chunk.length && this.bomMatched < 3) {
      if (chunk[i] !== BOM[this.bomMatched]) {
        // Not a BOM after all (EF BB starts other characters too): the held-back bytes are
        // the start of the first line.
        const held = this.bomMatched
        this.bomMatched = 3
        if (held === 0) return chunk.subarray(i)
        const joined = new Uint8Array(held + chunk.length - i)
        joined.set(BOM.subarray(0, held))
        joined.set(chunk.subarray(i), held)
        return joined
      }
      this.bomMatched++
      i++
    }
    return chunk.subarray(i)
  }

  /** The line `text[start, end)` (after the partial line), of `bytes` bytes in this chunk. */
  private line(text: string, start: number, end: number, bytes: number, out: Array<SseEvent>): void {
    const lineLength = this.partialLength + bytes
    if (lineLength === 0) {
      this.dispatch(out)
      return
    }
    if (this.eventLength + lineLength > this.maxEventSize) {
      throw tooLarge(this.maxEventSize)
    }
    this.eventLength += lineLength
    let line: string
    if (this.partialLength === 0) {
      // Comments are skipped without cutting them out.
      if (text.charCodeAt(start) === COLON) return
      // `data:` lines, nearly every line of an API stream, are cut out once (`startsWith`
      // costs more); past a shorter line's end stands its terminator, which matches nothing here
      if (
        text.charCodeAt(start) === 0x64 && text.charCodeAt(start + 1) === 0x61 && text.charCodeAt(start + 2) === 0x74 &&
        text.charCodeAt(start + 3) === 0x61 && text.charCodeAt(start + 4) === COLON
      ) {
        this.addData(text.slice(text.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5, end))
        return
      }
      line = text.slice(start, end)
    } else {
      line = this.partial + text.slice(start, end)
      this.partial = ""
      this.partialLength = 0
      if (line.charCodeAt(0) === COLON) return
    }
    this.field(line)
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
      value = line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1)
    }
    switch (name) {
      case "data":
        this.addData(value)
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

  private addData(value: string): void {
    this.data = this.data === undefined ? value : this.data + "\n" + value
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
  decodeSseWith<SseEvent, never>(options, () => (events, out) => {
    for (const event of events) out.push(event)
    return undefined
  })(self)

/**
 * {@link decodeSse} with the events of each chunk handed to a step of the same pass (no stream
 * stage per step): `step` appends what it makes of them to `out`, or returns a failure to stop
 * the stream after what it appended. `makeStep` runs once per run of the stream, for its state.
 */
export const decodeSseWith = <B, E2>(
  options: { readonly maxEventSize: number },
  makeStep: () => (events: ReadonlyArray<SseEvent>, out: Array<B>) => E2 | undefined
) =>
<E, R>(self: Stream.Stream<Uint8Array, E, R>): Stream.Stream<B, E | E2 | DecodeError, R> =>
  // A fresh decoder per run, so that a retried or re-run stream starts from a clean state.
  Stream.suspend(() => {
    const decoder = new SseDecoder(options.maxEventSize)
    const step = makeStep()
    const events: Array<SseEvent> = []
    return Stream.concat(
      mapChunksOrFail((chunk: Chunk.Chunk<Uint8Array>, out: Array<B>) => {
        const framing = pushAll(decoder, chunk, events)
        // the events completed before a framing problem go first
        const failure = events.length === 0 ? undefined : step(events, out)
        events.length = 0
        return failure ?? framing
      })(self),
      // Runs only once upstream has finished without failing.
      Stream.drain(Stream.fromEffect(Effect.try({ try: () => decoder.end(), catch: toDecodeError })))
    )
  })
