/**
 * A retrieval-augmented Q&A service on the Effect API, in under 40 lines: the documents are
 * embedded in batches (with progress), the model searches them through a typed tool, its answer
 * streams, and the client retries on a schedule tuned for an interactive service.
 *
 *   npx tsx examples/rag-service.ts
 *
 * Runs on the embedded fake server (its vectors come from the words of the text; it calls the
 * tool, then echoes the question); set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it against
 * the real API.
 */
import { Console, Effect, Layer, Schema, Stream } from "effect"
import * as Api from "../src/index.js"
import { UndiciHttpClient } from "../src/node/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"

const documents = [
  "Apple trees flower in spring and their fruit ripens in autumn.",
  "The cider press turns apples into juice.",
  "Pears keep longer in a cool cellar.",
  "A good bicycle needs oiled chains and pumped tyres."
]
const dot = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.reduce((sum, x, i) => sum + x * b[i]!, 0)
const search = Api.ChatTool.make({ name: "search", description: "Finds passages", parameters: Schema.Struct({ query: Schema.String }) })

// the service: it embeds the documents once, then answers each question with a search tool
const makeRag = Effect.gen(function*() {
  const client = yield* Api.Client
  const batch = { prompts: documents, representation: "document" } as const
  const onProgress = (p: Api.BatchProgress) => console.log(`indexed ${p.completed}/${p.total}`)
  const { embeddings } = yield* client.batchSemanticEmbed(batch, "luminous-base", { batchSize: 2, onProgress })
  const lookup = ({ query }: { readonly query: string }) =>
    Effect.map(client.semanticEmbed({ prompt: query, representation: "query" }, "luminous-base"), ({ embedding }) =>
      [...documents.keys()].sort((i, j) => dot(embedding, embeddings[j]!) - dot(embedding, embeddings[i]!))
        .slice(0, 2).map((i) => documents[i]).join("\n"))
  // toolChoice "required": search first; later rounds leave the choice to the model
  return (question: string) =>
    client.chatWithToolsStreaming(
      { model: "llama-3.1-8b-instruct", messages: [{ role: "user", content: question }], toolChoice: "required" },
      { tools: [search], handlers: { search: lookup }, maxRounds: 2 }
    )
})

const print = (event: Api.ChatWithToolsEvent) =>
  event._tag === "ToolResult" ? Console.log(`[found: ${event.content.replaceAll("\n", " | ")}]`)
  : event._tag === "ChatStreamChunk" ? Effect.sync(() => void process.stdout.write(event.content)) : Effect.void
const program = Effect.flatMap(makeRag, (ask) => Stream.runForEach(ask("When do apple trees flower?"), print))

// three quick retries, then give up: a user is waiting
const retries = Api.retrySchedule({ totalRetries: 3, initialDelay: "100 millis" })
const client = { retrySchedule: retries, requestTimeout: "30 seconds" } as const
const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN // else the fake server, in memory
  ? Api.Client.layerConfig(client).pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer({ client })

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha))).then(() => console.log("\n[answered]"))
