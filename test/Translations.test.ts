import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Client, TranslationRequest, TranslationResponse, TranslationSegment } from "../src/index.js"
import { AlephAlphaTest, FakeServer } from "../src/testing/index.js"

const model = "pharia-1-mt-translation"

const bodies = Effect.flatMap(FakeServer.FakeServer, (server) => server.requests).pipe(
  Effect.map((requests) => requests.map((request) => request.body))
)

describe("translate", () => {
  it.effect("sends the model in the body and decodes translation, score, segments and token counts", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const source = "Hello world. How are you?"
      const response = yield* client.translate(new TranslationRequest({ model, source, targetLanguage: "de" }))
      expect(yield* bodies).toEqual([{ model, source, target_language: "de" }])

      expect(response).toBeInstanceOf(TranslationResponse)
      expect(response.translation).toBe("[de] Hello world. [de] How are you?")
      expect(response.segments).toHaveLength(2)
      const [first, second] = response.segments!
      expect(first).toBeInstanceOf(TranslationSegment)
      expect(first).toMatchObject({ source: "Hello world.", translation: "[de] Hello world." })
      expect(second).toMatchObject({ source: "How are you?", translation: "[de] How are you?" })
      for (const segment of response.segments!) {
        expect(segment.score).toBeGreaterThanOrEqual(0.6)
        expect(segment.score).toBeLessThanOrEqual(0.95)
      }
      expect(response.score).toBeCloseTo((first!.score + second!.score) / 2, 12)
      // as in the recordings: the source's length in characters, nothing generated
      expect(response.numTokensPromptTotal).toBe(source.length)
      expect(response.numTokensGenerated).toBe(0)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("the recorded answer decodes, with segments null", () =>
    Effect.gen(function*() {
      const response = yield* Schema.decodeUnknown(TranslationResponse)({
        translation: "Frage: Was sind einige Vorteile der Oberflächenmikrobearbeitung?",
        score: 0.7235211,
        segments: null,
        num_tokens_prompt_total: 2394,
        num_tokens_generated: 0
      })
      expect(response).toMatchObject({
        translation: "Frage: Was sind einige Vorteile der Oberflächenmikrobearbeitung?",
        score: 0.7235211,
        segments: null,
        numTokensPromptTotal: 2394,
        numTokensGenerated: 0
      })
    }))

  it.effect("an empty model or target language is a ValidationError before anything is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const noModel = yield* Effect.flip(TranslationRequest.make({ model: "", source: "x", targetLanguage: "de" }))
      expect(noModel).toMatchObject({ _tag: "ValidationError", path: "model" })
      const noLanguage = yield* Effect.flip(TranslationRequest.make({ model, source: "x", targetLanguage: "" }))
      expect(noLanguage).toMatchObject({ _tag: "ValidationError", path: "targetLanguage" })
      const error = yield* Effect.flip(
        client.translate(new TranslationRequest({ model: "", source: "x", targetLanguage: "de" }, true))
      )
      expect(error).toMatchObject({ _tag: "ValidationError", subject: "TranslationRequest" })
      expect(yield* bodies).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("an unknown model is a NotFoundError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const error = yield* Effect.flip(
        client.translate(new TranslationRequest({ model: "no-such-model", source: "x", targetLanguage: "de" }))
      )
      expect(error).toMatchObject({ _tag: "NotFoundError", status: 404, code: "UNKNOWN_MODEL" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})
