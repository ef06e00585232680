import { EmbeddingModel, LanguageModel, type Response, Tool, Toolkit } from "@effect/ai"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Schema, Stream } from "effect"
import { AlephAlphaEmbeddingModel, AlephAlphaLanguageModel } from "../../src/ai/index.js"
import { AlephAlphaTest } from "../../src/testing/index.js"

// ---------------------------------------------------------------------------------------------
// A program written against @effect/ai only: it names no provider.

const Lookup = Tool.make("lookup", {
  description: "Looks a word up",
  parameters: { word: Schema.String },
  success: Schema.String
})

const Dictionary = Toolkit.make(Lookup)

const DictionaryLive = Dictionary.toLayer({ lookup: ({ word }) => Effect.succeed(`${word}: a word`) })

const Title = Schema.Struct({ title: Schema.String })

const program = Effect.gen(function*() {
  const answer = yield* LanguageModel.generateText({ prompt: "Name a fruit" })
  const streamed = yield* LanguageModel.streamText({ prompt: "Name a fruit" }).pipe(
    Stream.runCollect,
    Effect.map((parts) =>
      Chunk.toArray(parts).flatMap((part) => part.type === "text-delta" ? [part.delta] : []).join("")
    )
  )
  const titled = yield* LanguageModel.generateObject({ prompt: "A title for a fruit essay", schema: Title })
  const looked = yield* LanguageModel.generateText({ prompt: "lookup apple", toolkit: Dictionary })
  const embeddings = yield* EmbeddingModel.EmbeddingModel
  const vectors = yield* embeddings.embedMany([answer.text, titled.value.title])
  return {
    text: answer.text,
    streamed,
    finishReason: answer.finishReason,
    title: titled.value.title,
    toolResults: looked.toolResults.map((result) => result.result),
    dimensions: vectors.map((vector) => vector.length)
  }
}).pipe(Effect.provide(DictionaryLive))

// ---------------------------------------------------------------------------------------------
// The two ways to run it.

const alephAlpha = Layer.mergeAll(
  AlephAlphaLanguageModel.model("llama-3.1-8b-instruct"),
  AlephAlphaEmbeddingModel.model("luminous-base")
).pipe(Layer.provide(AlephAlphaTest.layer()))

/** A test layer that knows nothing of Aleph Alpha: canned answers in @effect/ai's own terms. */
const canned = Layer.mergeAll(
  Layer.effect(
    LanguageModel.LanguageModel,
    LanguageModel.make({
      generateText: (options) =>
        Effect.succeed(
          options.responseFormat.type === "json"
            ? [{ type: "text", text: JSON.stringify({ title: "On Apples" }) }]
            : options.tools.length > 0
            ? [{ type: "tool-call", id: "t1", name: "lookup", params: { word: "apple" } }]
            : [{ type: "text", text: "apple" }, {
              type: "finish",
              reason: "stop",
              usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }
            }]
        ),
      streamText: () =>
        Stream.fromIterable<Response.StreamPartEncoded>([
          { type: "text-start", id: "1" },
          { type: "text-delta", id: "1", delta: "app" },
          { type: "text-delta", id: "1", delta: "le" },
          { type: "text-end", id: "1" }
        ])
    })
  ),
  Layer.effect(
    EmbeddingModel.EmbeddingModel,
    EmbeddingModel.make({
      embedMany: (input) => Effect.succeed(input.map((_, index) => ({ index, embeddings: [1, 0, 0] })))
    })
  )
)

describe("swapping providers", () => {
  it.effect("a program written against @effect/ai runs unchanged with AlephAlphaLanguageModel on the fake server", () =>
    Effect.gen(function*() {
      const result = yield* program
      expect(result.text).toBe("Name a fruit")
      expect(result.streamed).toBe(result.text)
      expect(result.finishReason).toBe("stop")
      expect(result.title).toBe("A title for a fruit essay")
      expect(result.toolResults).toEqual(["lookup apple: a word"])
      expect(result.dimensions).toEqual([128, 128])
    }).pipe(Effect.provide(alephAlpha)))

  it.effect("the same program runs unchanged with a canned test layer", () =>
    Effect.gen(function*() {
      expect(yield* program).toEqual({
        text: "apple",
        streamed: "apple",
        finishReason: "stop",
        title: "On Apples",
        toolResults: ["apple: a word"],
        dimensions: [3, 3]
      })
    }).pipe(Effect.provide(canned)))
})
