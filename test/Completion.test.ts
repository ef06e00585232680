import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Equal, Stream } from "effect"
import fc from "fast-check"
import {
  Client,
  CompletionRequest,
  CompletionResponse,
  type CompletionStreamEvent,
  Prompt,
  StreamChunk,
  Text,
  TextControl,
  Tokens
} from "../src/index.js"
import {
  decodeCompletionEvent,
  decodeCompletionEventWithSchema,
  plainStreamChunkFromData
} from "../src/schema/Completion.js"
import { AlephAlphaTest, FakeServer } from "../src/testing/index.js"

const model = "luminous-base"

const lastBody = Effect.flatMap(FakeServer.FakeServer, (server) =>
  Effect.map(server.requests, (requests) => requests[requests.length - 1]!.body as Record<string, unknown>))

describe("complete", () => {
  it.effect("sends every field under its wire name, with the Python client's defaults", () =>
    Effect.gen(function*() {
      const client = yield* Client
      yield* client.complete(
        new CompletionRequest({
          prompt: new Prompt([
            Text.fromText("Hello, World!", [new TextControl({ start: 1, length: 5, factor: 0.5, tokenOverlap: "complete" })]),
            Tokens.fromTokenIds([1, 2])
          ]),
          maximumTokens: 7,
          penaltyBias: "bias",
          penaltyExceptions: ["x"],
          penaltyExceptionsIncludeStopSequences: true,
          bestOf: 2,
          logitBias: { "1": 2 },
          logProbs: 0,
          stopSequences: ["\n"],
          completionBiasInclusion: ["a"],
          completionBiasExclusion: ["b"],
          contextualControlThreshold: 0.5,
          steeringConcepts: ["_worker/concept"]
        }),
        model
      )
      expect(yield* lastBody).toEqual({
        prompt: [
          {
            type: "text",
            data: "Hello, World!",
            controls: [{ start: 1, length: 5, factor: 0.5, token_overlap: "complete" }]
          },
          { type: "token_ids", data: [1, 2], controls: [] }
        ],
        maximum_tokens: 7,
        minimum_tokens: 0,
        echo: false,
        temperature: 0,
        top_k: 0,
        top_p: 0,
        presence_penalty: 0,
        frequency_penalty: 0,
        sequence_penalty: 0,
        sequence_penalty_min_length: 2,
        repetition_penalties_include_prompt: false,
        repetition_penalties_include_completion: true,
        use_multiplicative_presence_penalty: false,
        use_multiplicative_frequency_penalty: false,
        use_multiplicative_sequence_penalty: false,
        penalty_bias: "bias",
        penalty_exceptions: ["x"],
        penalty_exceptions_include_stop_sequences: true,
        best_of: 2,
        n: 1,
        logit_bias: { "1": 2 },
        log_probs: 0,
        stop_sequences: ["\n"],
        tokens: false,
        raw_completion: false,
        disable_optimizations: false,
        completion_bias_inclusion: ["a"],
        completion_bias_inclusion_first_token_only: false,
        completion_bias_exclusion: ["b"],
        completion_bias_exclusion_first_token_only: false,
        contextual_control_threshold: 0.5,
        control_log_additive: true,
        steering_concepts: ["_worker/concept"],
        model
      })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("decodes every response field", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.complete(
        new CompletionRequest({ prompt: Prompt.fromText("one two three"), maximumTokens: 3, tokens: true, logProbs: 1, rawCompletion: true }),
        model
      )
      expect(response).toBeInstanceOf(CompletionResponse)
      expect(response.modelVersion).toBeTypeOf("string")
      expect(response.numTokensPromptTotal).toBeGreaterThan(0)
      expect(response.numTokensGenerated).toBe(3)
      const [result] = response.completions
      expect(result!.completion).toBeTypeOf("string")
      expect(result!.rawCompletion).toBeTypeOf("string")
      expect(result!.completionTokens).toHaveLength(3)
      expect(result!.logProbs).toHaveLength(3)
      expect(result!.finishReason).toBe("maximum_tokens")
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a stream accumulated with fromStream equals the non-streaming answer, with n = 2 kept apart", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const request = new CompletionRequest({ prompt: Prompt.fromText("an apple a day keeps"), maximumTokens: 6, n: 2 })
      const plain = yield* client.complete(request, model)
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(client.completeWithStreaming(request, model)))
      const streamed = yield* CompletionResponse.fromStream(Stream.fromIterable(events))
      expect(streamed.completions.map((c) => [c.completion, c.finishReason])).toEqual(
        plain.completions.map((c) => [c.completion, c.finishReason])
      )
      expect([streamed.numTokensPromptTotal, streamed.numTokensGenerated, streamed.modelVersion]).toEqual(
        [plain.numTokensPromptTotal, plain.numTokensGenerated, plain.modelVersion]
      )
      const tags = new Set(events.map((event: CompletionStreamEvent) => event._tag))
      expect(tags).toEqual(new Set(["StreamChunk", "StreamSummary", "CompletionSummary"]))
      expect(events[events.length - 1]!._tag).toBe("CompletionSummary")
      const indexes = new Set(events.flatMap((event) => event._tag === "StreamChunk" ? [event.index] : []))
      expect(indexes).toEqual(new Set([0, 1]))
      expect(plain.completions[0]!.completion).not.toBe(plain.completions[1]!.completion)
      expect(((yield* lastBody) as { stream?: boolean }).stream).toBe(true)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect.each([
    [{ maximumTokens: -1 }, "maximumTokens"],
    [{ n: 0 }, "n"],
    [{ temperature: -0.5 }, "temperature"],
    [{ topP: 1.5 }, "topP"],
    [{ logProbs: 21 }, "logProbs"],
    [{ sequencePenaltyMinLength: 1 }, "sequencePenaltyMinLength"],
    [{ temperature: Number.NaN }, "temperature"]
  ] as const)("bad input %j is a ValidationError at %s before anything is sent", ([fields, path]) =>
    Effect.gen(function*() {
      const client = yield* Client
      const made = yield* Effect.flip(CompletionRequest.make({ prompt: Prompt.fromText("x"), ...fields }))
      expect(made).toMatchObject({ _tag: "ValidationError", path })
      // an instance built without validation is still checked by the method
      const unchecked = new CompletionRequest({ prompt: Prompt.fromText("x"), ...fields }, { disableValidation: true })
      const error = yield* Effect.flip(client.complete(unchecked, model))
      expect(error).toMatchObject({ _tag: "ValidationError", path, subject: "CompletionRequest" })
      expect(error.message).toContain(path)
      expect(yield* Effect.flatMap(FakeServer.FakeServer, (server) => server.requests)).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("an unknown model is a NotFoundError with the API's code", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const error = yield* Effect.flip(client.complete(new CompletionRequest({ prompt: Prompt.fromText("x") }), "nope"))
      expect(error).toMatchObject({ _tag: "NotFoundError", status: 404, code: "UNKNOWN_MODEL" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})

describe("the completion stream event decoder", () => {
  const loose = fc.oneof(fc.anything(), fc.constant(undefined), fc.constant(null))
  const event = fc.record({
    type: fc.oneof(fc.constantFrom("stream_chunk", "stream_summary", "completion_summary", "other"), loose),
    index: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constant(2 ** 53), loose),
    completion: fc.oneof(fc.string(), loose),
    raw_completion: fc.oneof(fc.constant(null), fc.string(), loose),
    completion_tokens: fc.oneof(fc.constant(null), fc.constant(["a", "b"]), loose),
    log_probs: fc.oneof(fc.constant(null), fc.constant([{ a: -1, b: null }]), loose),
    model_version: fc.oneof(fc.string(), loose),
    finish_reason: fc.oneof(fc.string(), loose),
    num_tokens_prompt_total: fc.oneof(fc.nat(), loose),
    num_tokens_generated: fc.oneof(fc.nat(), loose)
  }, { requiredKeys: [] })

  const outcome = (decoded: Either.Either<unknown, unknown>) =>
    Either.isLeft(decoded) ? { failed: String(decoded.left) } : { event: decoded.right }

  it("accepts and rejects what the wire schemas do, and yields the same events and messages", () => {
    fc.assert(fc.property(fc.oneof(event, fc.anything()), (value) => {
      expect(outcome(decodeCompletionEvent(value))).toStrictEqual(outcome(decodeCompletionEventWithSchema(value)))
    }), { numRuns: 3000 })
  })

  // text as the API writes it, with awkward strings, and near misses of its shape
  const awkward = fc.string({
    unit: fc.oneof(
      fc.constantFrom("a", " ", "\"", "\\", "\n", "\u0000", "\u001f", "\u007f", "\u2028", "é", "😀", "\ud800", "}", ","),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
    ),
    maxLength: 20
  })
  const asWritten = fc.tuple(fc.oneof(fc.nat(), fc.constant(2 ** 53), fc.integer()), awkward).map(([index, text]) =>
    `{"type":"stream_chunk","index":${index},"completion":${JSON.stringify(text)}}`
  )
  const nearMiss = fc.tuple(
    fc.oneof(fc.nat().map(String), fc.constantFrom("", "01", "00", "-1", "1e2", "1.5", "9007199254740993", "123456789012345", "1234567890123456")),
    awkward,
    fc.constantFrom("}", "} ", ",\"x\":1}", "", "}}", "\"}", "\\\"}")
  ).map(([index, text, tail]) => `{"type":"stream_chunk","index":${index},"completion":"${text}"${tail}`)
  const anyEvent = fc.oneof(asWritten, nearMiss, event.map((value) => JSON.stringify(value)), fc.string())

  it("reads a chunk off its text only as JSON.parse and the decoder would, leaving anything else to them", () => {
    fc.assert(fc.property(anyEvent, (text) => {
      const fast = plainStreamChunkFromData(text)
      if (fast === undefined) return
      expect(decodeCompletionEvent(JSON.parse(text))).toStrictEqual(Either.right(fast))
    }), { numRuns: 5000 })
  })

  it("reads the chunks the API writes off their text", () => {
    for (const text of ["", " word", "naïve 😀 \u2028 '", "x".repeat(40)]) {
      const data = `{"type":"stream_chunk","index":12,"completion":${JSON.stringify(text)}}`
      const made = new StreamChunk({ index: 12, completion: text, rawCompletion: undefined, completionTokens: undefined, logProbs: undefined })
      const read = plainStreamChunkFromData(data)
      expect(read).toStrictEqual(made)
      expect(Equal.equals(read, made)).toBe(true)
      expect(Object.keys(read!)).toEqual(Object.keys(made))
    }
    expect(plainStreamChunkFromData(`{"type":"stream_chunk","index":0,"completion":"a\\"b"}`)).toBeUndefined()
  })

  it("decodes a plain text chunk into a StreamChunk of index 0 by default", () => {
    const decoded = decodeCompletionEvent({ type: "stream_chunk", completion: " word" })
    expect(decoded).toStrictEqual(Either.right(
      new StreamChunk({ index: 0, completion: " word", rawCompletion: undefined, completionTokens: undefined, logProbs: undefined })
    ))
  })
})
