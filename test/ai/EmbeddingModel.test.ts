import { EmbeddingModel } from "@effect/ai"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { AlephAlphaEmbeddingModel, getAlephAlphaError } from "../../src/ai/index.js"
import { BatchSemanticEmbeddingRequest, Client, Prompt, SemanticEmbeddingRequest } from "../../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../../src/testing/index.js"

const model = "luminous-base"

const embedBodies = Effect.flatMap(FakeServer.FakeServer, (server) =>
  Effect.map(
    server.requests,
    (requests) =>
      requests.filter((request) => request.path.endsWith("/batch_semantic_embed")).map((request) =>
        request.body as Record<string, any>
      )
  ))

const withModel = (config?: AlephAlphaEmbeddingModel.Config.Batched, options: AlephAlphaTest.Options = {}) =>
  AlephAlphaEmbeddingModel.layer(config === undefined ? { model } : { model, config }).pipe(
    Layer.provideMerge(AlephAlphaTest.layer(options))
  )

describe("AlephAlphaEmbeddingModel", () => {
  it.effect("embed returns the semantic embedding of the text, as semanticEmbed gives it", () =>
    Effect.gen(function*() {
      const embeddings = yield* EmbeddingModel.EmbeddingModel
      const vector = yield* embeddings.embed("An apple a day")
      const client = yield* Client
      const direct = yield* client.semanticEmbed(
        new SemanticEmbeddingRequest({ prompt: Prompt.fromText("An apple a day"), representation: "symmetric" }),
        model
      )
      expect(vector).toEqual(direct.embedding)
      expect(vector).toHaveLength(128)
      expect(yield* embedBodies).toEqual([{
        model,
        prompts: [[{ type: "text", data: "An apple a day", controls: [] }]],
        representation: "symmetric",
        normalize: false,
        control_log_additive: true
      }])
    }).pipe(Effect.provide(withModel())))

  it.effect("embedMany goes through batchSemanticEmbed in requests of batchSize and keeps the order", () =>
    Effect.gen(function*() {
      const texts = Array.from({ length: 12 }, (_, i) => `text number ${i}`)
      const embeddings = yield* EmbeddingModel.EmbeddingModel
      const vectors = yield* embeddings.embedMany(texts)
      const client = yield* Client
      const direct = yield* client.batchSemanticEmbed(
        new BatchSemanticEmbeddingRequest({
          prompts: texts.map((text) => Prompt.fromText(text)),
          representation: "query",
          compressToSize: 128,
          normalize: true
        }),
        model
      )
      expect(vectors).toEqual(direct.embeddings)
      const bodies = yield* embedBodies
      // five per request (the last is the direct call above)
      expect(bodies.slice(0, -1).map((body) => body.prompts.length)).toEqual([5, 5, 2])
      expect(bodies.slice(0, -1).map((body) => body.prompts[0][0].data)).toEqual([
        "text number 0",
        "text number 5",
        "text number 10"
      ])
      expect(bodies[0]).toMatchObject({ representation: "query", compress_to_size: 128, normalize: true })
    }).pipe(Effect.provide(withModel({ batchSize: 5, concurrency: 2, representation: "query", compressToSize: 128, normalize: true }))))

  it.effect("embeds asked for together go out in one request; maxBatchSize bounds it", () =>
    Effect.gen(function*() {
      const embeddings = yield* EmbeddingModel.EmbeddingModel
      const vectors = yield* Effect.forEach(["a", "b", "c", "d", "e"], (text) => embeddings.embed(text), {
        batching: true,
        concurrency: "unbounded"
      })
      expect(vectors).toHaveLength(5)
      expect(new Set(vectors.map((vector) => vector.join(","))).size).toBe(5)
      expect((yield* embedBodies).map((body) => body.prompts.length)).toEqual([3, 2])
    }).pipe(Effect.provide(withModel({ maxBatchSize: 3 }))))

  it.effect("withConfigOverride changes the settings for one call", () =>
    Effect.gen(function*() {
      const embeddings = yield* EmbeddingModel.EmbeddingModel
      const symmetric = yield* embeddings.embed("same text")
      const document = yield* embeddings.embed("same text").pipe(
        AlephAlphaEmbeddingModel.withConfigOverride({ representation: "document" })
      )
      expect(document).not.toEqual(symmetric)
      expect((yield* embedBodies).map((body) => body.representation)).toEqual(["symmetric", "document"])
    }).pipe(Effect.provide(withModel())))

  it.effect("an API error is an AiError that keeps the Aleph Alpha error as its cause", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      yield* server.script(Fault.Status({ status: 401, body: { error: "bad token", code: "UNAUTHENTICATED" } }))
      const embeddings = yield* EmbeddingModel.EmbeddingModel
      const error = yield* embeddings.embedMany(["a", "b"]).pipe(Effect.flip)
      expect(error._tag).toBe("HttpResponseError")
      expect(error._tag === "HttpResponseError" && error.response.status).toBe(401)
      expect(error._tag === "HttpResponseError" && error.request.url).toBe("batch_semantic_embed")
      expect(error.module).toBe("AlephAlphaEmbeddingModel")
      expect(Option.map(getAlephAlphaError(error), (cause) => cause._tag)).toEqual(Option.some("AuthenticationError"))
    }).pipe(Effect.provide(withModel())))

  it.live("the data-loader model embeds the texts asked for within its window together", () =>
    Effect.gen(function*() {
      const embeddings = yield* EmbeddingModel.EmbeddingModel
      const vectors = yield* Effect.all(
        [embeddings.embed("first"), embeddings.embed("second"), embeddings.embed("third")],
        { concurrency: "unbounded" }
      )
      expect(vectors).toHaveLength(3)
      expect((yield* embedBodies).map((body) => body.prompts.length)).toEqual([3])
    }).pipe(Effect.provide(
      AlephAlphaEmbeddingModel.layerDataLoader({ model, config: { window: "20 millis" } }).pipe(
        Layer.provideMerge(AlephAlphaTest.layer())
      )
    )))

  it.effect("model(name) is an @effect/ai Model", () =>
    Effect.gen(function*() {
      const embeddings = yield* EmbeddingModel.EmbeddingModel
      expect(yield* embeddings.embedMany(["x", "y"])).toHaveLength(2)
    }).pipe(Effect.provide(AlephAlphaEmbeddingModel.model(model)), Effect.provide(AlephAlphaTest.layer())))
})
