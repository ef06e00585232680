import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Client, EvaluationRequest, EvaluationResponse, EvaluationResult, Prompt } from "../src/index.js"
import { AlephAlphaTest, FakeServer } from "../src/testing/index.js"

const model = "luminous-base"

const bodies = Effect.flatMap(FakeServer.FakeServer, (server) => server.requests).pipe(
  Effect.map((requests) => requests.map((request) => request.body))
)

describe("evaluate", () => {
  it.effect("sends control_log_additive with its default and decodes every member of the result", () =>
    Effect.gen(function*() {
      const client = yield* Client
      // the fake model's greedy continuation echoes the prompt's words
      const response = yield* client.evaluate(
        new EvaluationRequest({ prompt: Prompt.fromText("An apple a day"), completionExpected: " An apple" }),
        model
      )
      expect(yield* bodies).toEqual([{
        prompt: [{ type: "text", data: "An apple a day", controls: [] }],
        completion_expected: " An apple",
        control_log_additive: true,
        model
      }])
      expect(response).toBeInstanceOf(EvaluationResponse)
      expect(response.modelVersion).toBe("2022-04")
      expect(response.message).toBeNull()
      // "An apple a day" is 4 tokens, " An apple" 2
      expect(response.numTokensPromptTotal).toBe(6)
      expect(response.result).toBeInstanceOf(EvaluationResult)
      expect(response.result).toEqual(
        new EvaluationResult({
          logProbability: -0.125,
          logPerplexity: 0.125,
          logPerplexityPerToken: 0.0625,
          logPerplexityPerCharacter: 0.125 / 9,
          correctGreedy: true,
          tokenCount: 2,
          characterCount: 9,
          completion: " An",
          extra: {}
        })
      )
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("an unlikely completion has a low log-probability and sends the threshold when set", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.evaluate(
        new EvaluationRequest({
          prompt: Prompt.fromText("hello"),
          completionExpected: "world",
          contextualControlThreshold: 0.5,
          controlLogAdditive: false
        }),
        model
      )
      expect(yield* bodies).toEqual([{
        prompt: [{ type: "text", data: "hello", controls: [] }],
        completion_expected: "world",
        contextual_control_threshold: 0.5,
        control_log_additive: false,
        model
      }])
      const { result } = response
      expect(result.correctGreedy).toBe(false)
      expect(result.completion).toBe(" hello")
      expect(result.tokenCount).toBeGreaterThan(0)
      expect(result.logProbability!).toBeLessThanOrEqual(-0.5 * result.tokenCount!)
      expect(result.logPerplexity).toBe(-result.logProbability!)
      expect(result.logPerplexityPerToken).toBeCloseTo(result.logPerplexity! / result.tokenCount!, 12)
      expect(result.characterCount).toBe(5)
      expect(result.logPerplexityPerCharacter).toBeCloseTo(result.logPerplexity! / 5, 12)
      expect(response.numTokensPromptTotal).toBe(1 + result.tokenCount!)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("the recorded answer decodes; members of result it does not know are kept, missing ones are null", () =>
    Effect.gen(function*() {
      const recorded = {
        model_version: "2022-04",
        result: {
          log_probability: -11.3125,
          log_perplexity: 11.3125,
          log_perplexity_per_token: 11.3125,
          log_perplexity_per_character: 2.2625,
          correct_greedy: false,
          token_count: 1,
          character_count: 5,
          completion: ",",
          entropy: 0.5,
          top_tokens: [",", "."]
        },
        num_tokens_prompt_total: 2
      }
      const response = yield* Schema.decodeUnknown(EvaluationResponse)(recorded)
      expect(response.result).toEqual(
        new EvaluationResult({
          logProbability: -11.3125,
          logPerplexity: 11.3125,
          logPerplexityPerToken: 11.3125,
          logPerplexityPerCharacter: 2.2625,
          correctGreedy: false,
          tokenCount: 1,
          characterCount: 5,
          completion: ",",
          extra: { entropy: 0.5, top_tokens: [",", "."] }
        })
      )
      expect(response.numTokensPromptTotal).toBe(2)
      const sparse = yield* Schema.decodeUnknown(EvaluationResponse)({
        model_version: "x",
        result: { log_probability: null },
        num_tokens_prompt_total: 1,
        message: "legacy"
      })
      expect(sparse.result.logProbability).toBeNull()
      expect(sparse.result.completion).toBeNull()
      expect(sparse.message).toBe("legacy")
    }))

  it.effect("a non-finite threshold is a ValidationError before anything is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const request = new EvaluationRequest(
        { prompt: Prompt.fromText("hello"), completionExpected: "world", contextualControlThreshold: Number.NaN },
        true
      )
      const error = yield* Effect.flip(client.evaluate(request, model))
      expect(error).toMatchObject({ _tag: "ValidationError", subject: "EvaluationRequest" })
      expect(yield* bodies).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})
