/**
 * Embeddings and semantic search: embed documents and a query, rank the documents by cosine
 * similarity; then the other embedding endpoints in one line each.
 *
 *   npx tsx examples/embeddings-search.ts
 *
 * Runs on the embedded fake server (its vectors come from the words of the text, so texts
 * sharing words are similar); set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it against
 * the real API.
 */
import { Console, Effect, Layer } from "effect"
import {
  BatchSemanticEmbeddingRequest,
  Client,
  EmbeddingRequest,
  EmbeddingV2Request,
  InstructableEmbeddingRequest,
  Prompt,
  SemanticEmbeddingRequest
} from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const model = "luminous-base"

const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  let dot = 0
  let normA = 0
  let normB = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    normA += a[i]! * a[i]!
    normB += b[i]! * b[i]!
  }
  return dot / Math.sqrt(normA * normB)
}

const documents = [
  "Apple trees flower in spring and their fruit ripens in autumn.",
  "The cider press turns apples into juice.",
  "Pears keep longer in a cool cellar.",
  "A good bicycle needs oiled chains and pumped tyres."
]

const program = Effect.gen(function*() {
  const client = yield* Client

  // documents and queries are embedded with the asymmetric representations
  const embedded = yield* client.batchSemanticEmbed(
    new BatchSemanticEmbeddingRequest({
      prompts: documents.map((text) => Prompt.fromText(text)),
      representation: "document",
      compressToSize: 128
    }),
    model
  )
  const query = yield* client.semanticEmbed(
    new SemanticEmbeddingRequest({
      prompt: Prompt.fromText("When do apple trees flower?"),
      representation: "query",
      compressToSize: 128
    }),
    model
  )

  const ranked = documents
    .map((text, i) => ({ text, score: cosine(query.embedding, embedded.embeddings[i]!) }))
    .sort((a, b) => b.score - a.score)
  yield* Console.log("When do apple trees flower?")
  for (const { score, text } of ranked) yield* Console.log(`  ${score.toFixed(3).padStart(6)}  ${text}`)

  // the other embedding endpoints
  const raw = yield* client.embed(
    new EmbeddingRequest({ prompt: Prompt.fromText("apple"), layers: [-1], pooling: ["mean"] }),
    model
  )
  yield* Console.log(`embed: layers ${Object.keys(raw.embeddings).join(", ")}`)
  const instructed = yield* client.instructableEmbed(
    new InstructableEmbeddingRequest({
      input: Prompt.fromText("The cider press turns apples into juice."),
      instruction: "Represent the text to find documents about fruit processing"
    }),
    model
  )
  yield* Console.log(`instructableEmbed: ${instructed.embedding.length} floats`)
  const openAiStyle = yield* client.embeddings(new EmbeddingV2Request({ input: ["apple", "pear"] }), model)
  yield* Console.log(`embeddings: ${openAiStyle.data.length} vectors of ${openAiStyle.data[0]?.embedding.length} floats`)
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
