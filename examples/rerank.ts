/**
 * Rerank: order documents by their relevance to a query, best first.
 *
 *   npx tsx examples/rerank.ts
 *
 * Runs on the embedded fake server (it scores the share of the query's words a document
 * contains); set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it against the real API.
 */
import { Console, Effect, Layer } from "effect"
import { Client, RerankRequest } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const documents = [
  "Pears keep longer in a cool cellar.",
  "Apple trees flower in spring.",
  "The cider press turns apples into juice.",
  "Bicycles need oiled chains."
]

const program = Effect.gen(function*() {
  const client = yield* Client
  const response = yield* client.rerank(
    new RerankRequest({ query: "how are apples turned into cider", documents, topN: 3 }),
    "bge-reranker-v2-m3"
  )
  for (const result of response.results) {
    yield* Console.log(`${result.relevanceScore.toFixed(3)}  ${documents[result.index]}`)
  }
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
