import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fc from "fast-check"
import { DecodeError } from "../src/errors/AlephAlphaError.js"
import { decodeSse, SseDecoder, type SseEvent } from "../src/services/Sse.js"

const encoder = new TextEncoder()
const bytes = (text: string): Uint8Array => encoder.encode(text)
const concatBytes = (...parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

const BIG = 1 << 20

const ev = (data: string, event?: string, id?: string): SseEvent => ({ event, data, id })

/** Feeds every chunk to a fresh decoder, then ends it. */
const decodeAll = (chunks: ReadonlyArray<Uint8Array | string>, maxEventSize = BIG): Array<SseEvent> => {
  const decoder = new SseDecoder(maxEventSize)
  const out: Array<SseEvent> = []
  for (const chunk of chunks) out.push(...decoder.push(typeof chunk === "string" ? bytes(chunk) : chunk))
  out.push(...decoder.end())
  return out
}

/** Runs the chunks through `decodeSse`, one stream chunk per array element. */
const runStream = (chunks: ReadonlyArray<Uint8Array | string>, maxEventSize = BIG) =>
  Stream.fromIterable(chunks.map((chunk) => typeof chunk === "string" ? bytes(chunk) : chunk)).pipe(
    Stream.rechunk(1),
    decodeSse({ maxEventSize }),
    Stream.runCollect,
    Effect.map(Chunk.toArray)
  )

/** The typed failure of `effect`; fails the test if it succeeded or died. */
const failureOf = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(effect)
    expect(Exit.isFailure(exit)).toBe(true)
    if (Exit.isSuccess(exit)) throw new Error("expected a failure")
    expect(Cause.isDie(exit.cause)).toBe(false)
    const failure = Cause.failureOption(exit.cause)
    expect(Option.isSome(failure)).toBe(true)
    if (Option.isNone(failure)) throw new Error("expected a typed failure")
    return failure.value
  })

/** Splits `data` into chunks at the given positions (sorted, deduplicated, empty chunks kept out). */
const splitAt = (data: Uint8Array, positions: ReadonlyArray<number>): Array<Uint8Array> => {
  const cuts = [...new Set(positions.filter((p) => p > 0 && p < data.length))].sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let start = 0
  for (const cut of cuts) {
    chunks.push(data.subarray(start, cut))
    start = cut
  }
  chunks.push(data.subarray(start))
  return chunks
}

/** Cut positions right after every CR and inside every multi-byte character. */
const awkwardCuts = (data: Uint8Array): Array<number> => {
  const cuts: Array<number> = []
  for (let i = 1; i < data.length; i++) {
    const byte = data[i]!
    if (data[i - 1] === 0x0d || (byte & 0xc0) === 0x80) cuts.push(i)
  }
  return cuts
}

describe("SseDecoder", () => {
  describe("property", () => {
    // Text without line breaks, biased towards multi-byte characters, emoji, colons and spaces.
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom("a", "Z", " ", ":", "é", "€", "😀", "👩‍💻", "\u{10FFFF}", "\uFEFF", "\u2028", "\u0000"),
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
      ),
      maxLength: 12
    }).map((s) => s.replace(/[\r\n]/g, "_"))
    const eol = fc.constantFrom("\n", "\r\n", "\r")
    // 0: "name: value", 1: "name:value" (if value has no leading space), 2: "name" (if value is empty)
    const style = fc.integer({ min: 0, max: 2 })
    const fieldLine = (name: string, value: string, s: number): string =>
      s === 2 && value === "" ? name : s >= 1 && !value.startsWith(" ") ? `${name}:${value}` : `${name}: ${value}`

    const extra = fc.oneof(
      text.map((t) => `:${t}`),
      fc.constant("retry: 10"),
      fc.constant("retry"),
      text.map((t) => `unknown: ${t}`)
    )

    const eventSpec = fc.record({
      event: fc.option(text, { nil: undefined }),
      id: fc.option(text, { nil: undefined }),
      data: fc.array(fc.tuple(text, style, eol), { maxLength: 4 }),
      eventStyle: style,
      idStyle: style,
      eventEol: eol,
      idEol: eol,
      extras: fc.array(fc.tuple(fc.nat(), extra, eol), { maxLength: 3 }),
      blankEol: eol
    })

    type Spec = typeof eventSpec extends fc.Arbitrary<infer A> ? A : never

    const serialise = (withBom: boolean, specs: ReadonlyArray<Spec>): Uint8Array => {
      const lines: Array<[string, string]> = []
      for (const spec of specs) {
        const own: Array<[string, string]> = []
        if (spec.event !== undefined) own.push([fieldLine("event", spec.event, spec.eventStyle), spec.eventEol])
        if (spec.id !== undefined) own.push([fieldLine("id", spec.id, spec.idStyle), spec.idEol])
        for (const [value, s, end] of spec.data) own.push([fieldLine("data", value, s), end])
        for (const [at, line, end] of spec.extras) own.splice(at % (own.length + 1), 0, [line, end])
        lines.push(...own, ["", spec.blankEol])
      }
      let out = ""
      let previous = ""
      for (const [line, end] of lines) {
        // After a CR, an empty line ended by LF would read as one CRLF: the format cannot say it.
        const safeEnd = previous === "\r" && line === "" && end === "\n" ? "\r\n" : end
        out += line + safeEnd
        previous = safeEnd
      }
      return concatBytes(withBom ? new Uint8Array([0xef, 0xbb, 0xbf]) : new Uint8Array(0), bytes(out))
    }

    const expected = (specs: ReadonlyArray<Spec>): Array<SseEvent> => {
      const out: Array<SseEvent> = []
      let lastId = ""
      for (const spec of specs) {
        if (spec.id !== undefined && !spec.id.includes("\u0000")) lastId = spec.id
        if (spec.data.length > 0) {
          out.push(ev(
            spec.data.map(([value]) => value).join("\n"),
            spec.event === undefined || spec.event === "" ? undefined : spec.event,
            lastId === "" ? undefined : lastId
          ))
        }
      }
      return out
    }

    const splitting = fc.oneof(
      fc.constant<"bytes" | "awkward">("bytes"),
      fc.constant<"bytes" | "awkward">("awkward"),
      fc.array(fc.nat({ max: 4000 }), { maxLength: 40 })
    )

    const split = (data: Uint8Array, how: "bytes" | "awkward" | Array<number>): Array<Uint8Array> =>
      how === "bytes"
        ? Array.from(data, (_, i) => data.subarray(i, i + 1))
        : how === "awkward"
        ? splitAt(data, awkwardCuts(data))
        : splitAt(data, how.map((n) => data.length === 0 ? 0 : n % data.length))

    it("decodes any event list split into any chunks exactly as in one chunk and as serialised", () => {
      fc.assert(
        fc.property(fc.boolean(), fc.array(eventSpec, { maxLength: 8 }), splitting, (withBom, specs, how) => {
          const data = serialise(withBom, specs)
          const whole = decodeAll([data])
          expect(decodeAll(split(data, how))).toEqual(whole)
          // Node's Buffers (what undici reads) take another decoding path
          expect(decodeAll(split(data, how).map((chunk) => Buffer.from(chunk)))).toEqual(whole)
          expect(whole).toEqual(expected(specs))
        }),
        { numRuns: 500 }
      )
    })

    it.effect("decodes any event list the same way through decodeSse", () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(eventSpec, { maxLength: 5 }), splitting, (specs, how) => {
            const data = serialise(false, specs)
            return Effect.runPromise(runStream(split(data, how))).then((events) => {
              expect(events).toEqual(expected(specs))
            })
          }),
          { numRuns: 100 }
        )
      ))
  })

  describe("line endings and chunk boundaries", () => {
    it("counts a CR at the end of one chunk and an LF at the start of the next as one line break", () => {
      expect(decodeAll(["data: a\r", "\ndata: b\r", "\n\r", "\n"])).toEqual([ev("a\nb")])
    })

    it("treats a lone CR followed by another line in the next chunk as a line break", () => {
      expect(decodeAll(["data: a\r", "data: b\r", "\r"])).toEqual([ev("a\nb")])
    })

    it("accepts LF, CRLF and CR line endings in one stream", () => {
      expect(decodeAll(["data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\r\n\n"])).toEqual([
        ev("a"),
        ev("b"),
        ev("c"),
        ev("d")
      ])
    })

    it("reassembles a four-byte emoji split across four chunks", () => {
      const emoji = bytes("😀")
      expect(emoji.length).toBe(4)
      const chunks = [
        bytes("data: x"),
        emoji.subarray(0, 1),
        emoji.subarray(1, 2),
        emoji.subarray(2, 3),
        concatBytes(emoji.subarray(3, 4), bytes("y\n\n"))
      ]
      expect(decodeAll(chunks)).toEqual([ev("x😀y")])
    })

    it("decodes a stream fed one byte at a time", () => {
      const data = bytes("event: ünï\r\ndata: 😀 €\r\n\r\n")
      expect(decodeAll(Array.from(data, (_, i) => data.subarray(i, i + 1)))).toEqual([ev("😀 €", "ünï")])
    })

    it("decodes a field name split across chunks", () => {
      expect(decodeAll(["da", "ta", ":", " hello", "\n", "\n"])).toEqual([ev("hello")])
    })

    it("decodes several events in one chunk", () => {
      expect(decodeAll(["data: 1\n\ndata: 2\n\nevent: e\ndata: 3\n\n"])).toEqual([ev("1"), ev("2"), ev("3", "e")])
    })

    it("returns the events completed by each push as soon as their blank line arrives", () => {
      const decoder = new SseDecoder(BIG)
      expect(decoder.push(bytes("data: 1\n"))).toEqual([])
      expect(decoder.push(bytes("\ndata: 2"))).toEqual([ev("1")])
      expect(decoder.push(bytes("\n\n"))).toEqual([ev("2")])
      expect(decoder.end()).toEqual([])
    })
  })

  describe("fields", () => {
    it("strips exactly one leading space from a value", () => {
      expect(decodeAll(["data:  two\n\n"])).toEqual([ev(" two")])
    })

    it("reads data: without a space", () => {
      expect(decodeAll(["data:x\n\n"])).toEqual([ev("x")])
    })

    it("reads data without a colon as an empty data line", () => {
      expect(decodeAll(["data\n\n"])).toEqual([ev("")])
      expect(decodeAll(["data\ndata\n\n"])).toEqual([ev("\n")])
    })

    it("keeps everything after the first colon of a value", () => {
      expect(decodeAll(['data: {"a":"b:c"}\n\n'])).toEqual([ev('{"a":"b:c"}')])
    })

    it("joins multi-line data with newlines", () => {
      expect(decodeAll(["data: a\ndata: b\ndata:\ndata: c\n\n"])).toEqual([ev("a\nb\n\nc")])
    })

    it("ignores comments", () => {
      expect(decodeAll([": keep-alive\ndata: a\n:\n: data: b\n\n"])).toEqual([ev("a")])
    })

    it("does not dispatch a block of comments only", () => {
      expect(decodeAll([": ping\n\n: ping\n\n"])).toEqual([])
    })

    it("keeps the event field and resets it after dispatch", () => {
      expect(decodeAll(["event: completion\ndata: a\n\ndata: b\n\n"])).toEqual([ev("a", "completion"), ev("b")])
    })

    it("reports an empty event name as no event name", () => {
      expect(decodeAll(["event:\ndata: a\n\n"])).toEqual([ev("a")])
    })

    it("keeps the last event id for later events, as the spec does", () => {
      expect(decodeAll(["id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"])).toEqual([
        ev("a", undefined, "1"),
        ev("b", undefined, "1"),
        ev("c")
      ])
    })

    it("ignores an id containing NUL", () => {
      expect(decodeAll(["id: 1\ndata: a\n\nid: 2\u00003\ndata: b\n\n"])).toEqual([
        ev("a", undefined, "1"),
        ev("b", undefined, "1")
      ])
    })

    it.effect("ignores retry: 10 without sleeping", () =>
      Effect.gen(function*() {
        // No TestClock adjustment: a sleep would hang this test.
        const events = yield* runStream(["retry: 10\ndata: a\n\nretry: 1000000\ndata: b\n\n"])
        expect(events).toEqual([ev("a"), ev("b")])
      }))

    it("ignores unknown fields and field names that only resemble data", () => {
      expect(decodeAll(["foo: bar\nData: x\ndata : y\n data: z\ndata: a\n\n"])).toEqual([ev("a")])
    })

    it("does not dispatch an event without data lines", () => {
      expect(decodeAll(["event: ping\n\ndata: a\n\n"])).toEqual([ev("a")])
    })

    it("passes [DONE] through as ordinary data", () => {
      expect(decodeAll(["data: [DONE]\n\n"])).toEqual([ev("[DONE]")])
    })

    it("replaces invalid UTF-8 instead of failing", () => {
      expect(decodeAll([new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0xff, 0x0a, 0x0a])])).toEqual([ev("\uFFFD")])
      // the maximal-subpart rule of the Encoding standard, also for Node's Buffers
      const bad = [0x64, 0x61, 0x74, 0x61, 0x3a, 0xf0, 0x9f, 0x98, 0x41, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0x0a, 0x0a]
      const expected = [ev(new TextDecoder().decode(new Uint8Array(bad.slice(5, -2))))]
      expect(decodeAll([new Uint8Array(bad)])).toEqual(expected)
      expect(decodeAll([Buffer.from(bad)])).toEqual(expected)
    })
  })

  describe("byte order mark", () => {
    it("skips a UTF-8 BOM at the very start of the stream", () => {
      expect(decodeAll(["\uFEFFdata: a\n\n"])).toEqual([ev("a")])
    })

    it("skips a BOM split across chunks", () => {
      expect(decodeAll([new Uint8Array([0xef]), new Uint8Array([0xbb]), new Uint8Array([0xbf]), "data: a\n\n"]))
        .toEqual([ev("a")])
    })

    it("keeps bytes that only begin like a BOM", () => {
      // EF BB 80 is U+FEC0, the start of an (unknown) field name here.
      expect(decodeAll([new Uint8Array([0xef, 0xbb]), new Uint8Array([0x80]), ":x\ndata: a\n\n"])).toEqual([ev("a")])
      expect(decodeAll([new Uint8Array([0xef]), "data: a\n\n"])).toEqual([])
    })

    it("does not skip a BOM after the start of the stream", () => {
      expect(decodeAll(["data: a\n\n\uFEFFdata: b\n\n"])).toEqual([ev("a")])
    })
  })

  describe("size limit", () => {
    // "data: " + 14 × "x" = 20 bytes
    const twenty = `data: ${"x".repeat(14)}`

    it.effect("decodes an event of exactly maxEventSize bytes", () =>
      Effect.gen(function*() {
        expect(yield* runStream([`${twenty}\n\n`], 20)).toEqual([ev("x".repeat(14))])
        expect(yield* runStream([`${twenty}\r\n\r\n${twenty}\r\n\r\n`], 20)).toEqual([
          ev("x".repeat(14)),
          ev("x".repeat(14))
        ])
      }))

    it.effect("fails with a DecodeError for an event one byte over maxEventSize", () =>
      Effect.gen(function*() {
        const error = yield* failureOf(runStream([`${twenty}\n\n`], 19))
        expect(error._tag).toBe("DecodeError")
        expect(error).toBeInstanceOf(DecodeError)
        expect(error.message).toBe("SSE event exceeds maxEventSize (19 bytes)")
      }))

    it.effect("counts every line of the event, comments and field names included", () =>
      Effect.gen(function*() {
        // 4 + 8 + 7 = 19 bytes of lines
        const event = ": hi\nevent: a\ndata: b\n\n"
        expect(yield* runStream([event], 19)).toEqual([ev("b", "a")])
        const error = yield* failureOf(runStream([event], 18))
        expect(error._tag).toBe("DecodeError")
      }))

    it.effect("counts bytes, not characters", () =>
      Effect.gen(function*() {
        // "data: " + 4-byte emoji = 10 bytes
        expect(yield* runStream(["data: 😀\n\n"], 10)).toEqual([ev("😀")])
        expect((yield* failureOf(runStream(["data: 😀\n\n"], 9)))._tag).toBe("DecodeError")
      }))

    it.effect("does not count a leading BOM", () =>
      Effect.gen(function*() {
        expect(yield* runStream([`\uFEFF${twenty}\n\n`], 20)).toEqual([ev("x".repeat(14))])
      }))

    it.effect("fails for a never-terminated line longer than the limit", () =>
      Effect.gen(function*() {
        const chunks = [bytes("data: "), ...Array.from({ length: 50 }, () => bytes("x"))]
        const error = yield* failureOf(runStream(chunks, 20))
        expect(error._tag).toBe("DecodeError")
        expect(error.message).toBe("SSE event exceeds maxEventSize (20 bytes)")
      }))

    it.effect("fails for an endless body that never sends a line ending", () =>
      Effect.gen(function*() {
        const endless = Stream.concat(Stream.make(bytes("data: ")), Stream.repeatValue(bytes("xxxxxxxx")))
        const error = yield* failureOf(Stream.runDrain(decodeSse({ maxEventSize: 1024 })(endless)))
        expect(error._tag).toBe("DecodeError")
      }))

    it("counts the bytes of a character split across chunks, whatever the rest of the chunk holds", () => {
      // the emoji's last byte, then a two-byte é: as many characters as bytes in the last chunk
      const chunks = [bytes("data: "), new Uint8Array([0xf0, 0x9f, 0x98]), concatBytes(new Uint8Array([0x80]), bytes("\n\ndata: é\n\n"))]
      expect(decodeAll(chunks, 10)).toEqual([ev("😀"), ev("é")])
      expect(() => decodeAll(chunks, 9)).toThrow("SSE event exceeds maxEventSize (9 bytes)")
    })

    it("counts the partial line before its terminator arrives", () => {
      const decoder = new SseDecoder(20)
      expect(decoder.push(bytes(twenty))).toEqual([])
      expect(() => decoder.push(bytes("x"))).toThrow("SSE event exceeds maxEventSize (20 bytes)")
    })

    it("counts the complete lines and the partial line together", () => {
      const decoder = new SseDecoder(20)
      expect(decoder.push(bytes("data: 12345\ndata"))).toEqual([]) // 11 + 4
      expect(decoder.push(bytes(": 1"))).toEqual([]) // 11 + 7 = 18
      expect(decoder.push(bytes("2"))).toEqual([]) // 11 + 8 = 19
      expect(decoder.push(bytes("3"))).toEqual([]) // 11 + 9 = 20: still allowed
      expect(() => decoder.push(bytes("4"))).toThrow(DecodeError) // 11 + 10 = 21
    })
  })

  describe("end of stream", () => {
    it.effect("fails with a DecodeError when the stream ends after data but before the blank line", () =>
      Effect.gen(function*() {
        const error = yield* failureOf(runStream(["data: a\n\ndata: b\n"]))
        expect(error._tag).toBe("DecodeError")
        expect(error.message).toBe("stream ended in the middle of an SSE event")
      }))

    it.effect("fails with a DecodeError when the stream ends in the middle of a line", () =>
      Effect.gen(function*() {
        expect((yield* failureOf(runStream(["data: a\n\ndata: b"])))._tag).toBe("DecodeError")
        expect((yield* failureOf(runStream(["data: a\n\n "])))._tag).toBe("DecodeError")
        expect((yield* failureOf(runStream([new Uint8Array([0xef, 0xbb])])))._tag).toBe("DecodeError")
      }))

    it.effect("ends cleanly after a blank line, on an empty stream and after a trailing CR", () =>
      Effect.gen(function*() {
        expect(yield* runStream(["data: a\n\n"])).toEqual([ev("a")])
        expect(yield* runStream([])).toEqual([])
        expect(yield* runStream(["data: a\r\r"])).toEqual([ev("a")])
        expect(yield* runStream(["data: a\r\n\r"])).toEqual([ev("a")])
        expect(yield* runStream([": bye\n"])).toEqual([])
        expect(yield* runStream(["event: ping\n"])).toEqual([])
      }))

    it.effect("keeps the upstream error when the body fails", () =>
      Effect.gen(function*() {
        const failing = Stream.concat(Stream.make(bytes("data: a\n")), Stream.fail("boom" as const))
        const error = yield* failureOf(Stream.runDrain(decodeSse({ maxEventSize: BIG })(failing)))
        expect(error).toBe("boom")
      }))

    it.effect("starts a fresh decoder on every run of the stream", () =>
      Effect.gen(function*() {
        const events = Stream.make(bytes("data: a\n\ndata: b")).pipe(decodeSse({ maxEventSize: BIG }))
        expect((yield* failureOf(Stream.runCollect(events)))._tag).toBe("DecodeError")
        expect((yield* failureOf(Stream.runCollect(events)))._tag).toBe("DecodeError")
        const clean = Stream.make(bytes("data: a\n\n")).pipe(decodeSse({ maxEventSize: BIG }))
        expect(Chunk.toArray(yield* Stream.runCollect(clean))).toEqual([ev("a")])
        expect(Chunk.toArray(yield* Stream.runCollect(clean))).toEqual([ev("a")])
      }))
  })
})
