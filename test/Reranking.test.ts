import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Client, RerankRequest, RerankResponse, RerankResult, RerankUsage, TokenizationRequest } from "../src/index.js"
import { AlephAlphaTest, FakeServer } from "../src/testing/index.js"

const model = "bge-reranker-v2-m3"

const bodies = Effect.flatMap(FakeServer.FakeServer, (server) => server.requests).pipe(
  Effect.map((requests) => requests.map((request) => request.body))
)

const query = "What is the capital of France?"
const documents = ["The capital of Brazil is Brasilia.", "The capital of France is Paris.", "Horses and cows are both animals."]

describe("rerank", () => {
  it.effect("sends query and documents without top_n and decodes the results, best first, and usage", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.rerank(new RerankRequest({ query, documents }), model)
      expect(yield* bodies).toEqual([{ query, documents, model }])

      expect(response).toBeInstanceOf(RerankResponse)
      expect(response.results.map((result) => result.index)).toEqual([1, 0, 2])
      for (const result of response.results) {
        expect(result).toBeInstanceOf(RerankResult)
        expect(result.relevanceScore).toBeGreaterThan(0)
        expect(result.relevanceScore).toBeLessThan(1)
      }
      const scores = response.results.map((result) => result.relevanceScore)
      expect(scores).toEqual([...scores].sort((a, b) => b - a))
      expect(scores[0]).toBeGreaterThan(0.9)
      expect(scores[2]).toBeLessThan(0.01)
      expect(response.usage).toBeInstanceOf(RerankUsage)
      expect(response.usage.promptTokens).toBe(0)
      expect(response.usage.completionTokens).toBe(0)
      // the fake counts the query and each document with the model's tokenizer, plus 2 per pair
      const count = (text: string) =>
        Effect.map(client.tokenize(new TokenizationRequest({ prompt: text, tokens: false, tokenIds: true }), model), (r) =>
          r.tokenIds!.length)
      const queryTokens = yield* count(query)
      let total = 0
      for (const document of documents) total += queryTokens + (yield* count(document)) + 2
      expect(response.usage.totalTokens).toBe(total)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("topN is sent as top_n and truncates the results", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.rerank(new RerankRequest({ query, documents, topN: 2 }), model)
      expect(yield* bodies).toEqual([{ query, documents, top_n: 2, model }])
      expect(response.results.map((result) => result.index)).toEqual([1, 0])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("the recorded answer decodes", () =>
    Effect.gen(function*() {
      const response = yield* Schema.decodeUnknown(RerankResponse)({
        results: [{ index: 1, relevance_score: 0.999966025352478 }, { index: 0, relevance_score: 0.001092187943868339 }],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 57 }
      })
      expect(response.results).toEqual([
        new RerankResult({ index: 1, relevanceScore: 0.999966025352478 }),
        new RerankResult({ index: 0, relevanceScore: 0.001092187943868339 })
      ])
      expect(response.usage).toEqual(new RerankUsage({ promptTokens: 0, completionTokens: 0, totalTokens: 57 }))
    }))

  it.effect("empty documents and a topN below 1 are ValidationErrors before anything is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const empty = yield* Effect.flip(RerankRequest.make({ query, documents: [] }))
      expect(empty).toMatchObject({ _tag: "ValidationError", path: "documents" })
      const zero = yield* Effect.flip(RerankRequest.make({ query, documents, topN: 0 }))
      expect(zero).toMatchObject({ _tag: "ValidationError", path: "topN" })
      const fractional = yield* Effect.flip(RerankRequest.make({ query, documents, topN: 1.5 }))
      expect(fractional).toMatchObject({ _tag: "ValidationError", path: "topN" })
      for (const unchecked of [new RerankRequest({ query, documents: [] }, true), new RerankRequest({ query, documents, topN: 0 }, true)]) {
        const error = yield* Effect.flip(client.rerank(unchecked, model))
        expect(error).toMatchObject({ _tag: "ValidationError", subject: "RerankRequest" })
      }
      expect(yield* bodies).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})
