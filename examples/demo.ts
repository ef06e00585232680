// `npm run demo`: a tour of the client. Without ALEPH_ALPHA_TOKEN it starts the embedded fake
// server in this process (on 127.0.0.1) and runs against it; with ALEPH_ALPHA_TOKEN (and
// ALEPH_ALPHA_HOST) it runs against the real API. Model names can be changed with
// ALEPH_ALPHA_COMPLETION_MODEL, ALEPH_ALPHA_CHAT_MODEL and ALEPH_ALPHA_EMBEDDING_MODEL.
import cliProgress from "cli-progress"
import { Console, Effect, Layer, Schema, Stream } from "effect"
import {
  BatchSemanticEmbeddingRequest,
  ChatRequest,
  Client,
  CompletionRequest,
  ExplanationRequest,
  Message,
  Prompt,
  SemanticEmbeddingRequest,
  type TextScore,
  TextPromptItemExplanation
} from "../src/index.js"
import { UndiciHttpClient } from "../src/node/index.js"
import { Loopback } from "../src/testing/node/index.js"

const useRealApi = (process.env.ALEPH_ALPHA_TOKEN ?? "") !== ""
const completionModel = process.env.ALEPH_ALPHA_COMPLETION_MODEL ?? "luminous-base"
const chatModel = process.env.ALEPH_ALPHA_CHAT_MODEL ?? "llama-3.1-8b-instruct"
const embeddingModel = process.env.ALEPH_ALPHA_EMBEDDING_MODEL ?? "luminous-base"
const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined
const bold = (text: string) => colour ? `\x1b[1m${text}\x1b[22m` : text
const dim = (text: string) => colour ? `\x1b[2m${text}\x1b[22m` : text
const heading = (n: number, title: string, model?: string) =>
  Console.log(`\n${bold(`${n}. ${title}`)}${model === undefined ? "" : dim(` (${model})`)}`)

// ---------------------------------------------------------------------------------------------

const completion = Effect.gen(function*() {
  const client = yield* Client
  yield* heading(1, "Completion", completionModel)
  const response = yield* client.complete(
    new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 16 }),
    completionModel
  )
  yield* Console.log(`   An apple a day${bold(response.completions[0]?.completion ?? "")}`)
})

const streamedChat = Effect.gen(function*() {
  const client = yield* Client
  yield* heading(2, "Chat, streamed token by token", chatModel)
  // the fake server answers at once: in a terminal, pace its chunks so you can watch them arrive
  const pace = !useRealApi && process.stdout.isTTY === true ? Effect.sleep("25 millis") : Effect.void
  let chunks = 0
  process.stdout.write("   ")
  yield* client.chatWithStreaming(
    new ChatRequest({
      model: chatModel,
      messages: [new Message({ role: "user", content: "Tell me something about apples, briefly please." })],
      maximumTokens: 24
    })
  ).pipe(
    Stream.runForEach((event) => {
      switch (event._tag) {
        case "ChatStreamChunk":
          chunks++
          return Effect.zipRight(pace, Effect.sync(() => process.stdout.write(event.content.replace(/\n/g, "\n   "))))
        case "ChatFinish":
          return Console.log(dim(`\n   (${chunks} chunks, finish reason: ${event.finishReason})`))
        default:
          return Effect.void
      }
    })
  )
})

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

const semanticSearch = Effect.gen(function*() {
  const client = yield* Client
  yield* heading(3, "Semantic search: documents ranked by cosine similarity to a query", embeddingModel)
  const query = "When do apple trees flower?"
  const embedded = yield* client.batchSemanticEmbed(
    new BatchSemanticEmbeddingRequest({
      prompts: documents.map((text) => Prompt.fromText(text)),
      representation: "document",
      compressToSize: 128
    }),
    embeddingModel
  )
  const queryEmbedding = yield* client.semanticEmbed(
    new SemanticEmbeddingRequest({ prompt: Prompt.fromText(query), representation: "query", compressToSize: 128 }),
    embeddingModel
  )
  const ranked = documents
    .map((text, i) => ({ text, score: cosine(queryEmbedding.embedding, embedded.embeddings[i]!) }))
    .sort((a, b) => b.score - a.score)
  yield* Console.log(`   query: ${bold(query)}`)
  for (const [rank, { score, text }] of ranked.entries()) {
    yield* Console.log(`   ${rank + 1}. ${score.toFixed(3).padStart(6)}  ${rank === 0 ? bold(text) : text}`)
  }
})

const batchEmbedding = Effect.gen(function*() {
  const client = yield* Client
  const count = 2000
  yield* heading(4, `Batch embedding of ${count.toLocaleString("en")} prompts`, embeddingModel)
  const fruits = ["apple", "pear", "plum", "cherry", "quince", "apricot"]
  const prompts = Array.from(
    { length: count },
    (_, i) => Prompt.fromText(`Review ${i}: the ${fruits[i % fruits.length]} was ${i % 3 === 0 ? "sweet" : "sour"}.`)
  )
  const bar = new cliProgress.SingleBar({
    format: "   {bar} {percentage}% | {value}/{total} prompts | {duration_formatted}",
    hideCursor: true,
    clearOnComplete: false
  }, cliProgress.Presets.shades_classic)
  bar.start(count, 0)
  const started = performance.now()
  const response = yield* client.batchSemanticEmbed(
    new BatchSemanticEmbeddingRequest({ prompts, representation: "symmetric", compressToSize: 128 }),
    embeddingModel,
    { batchSize: 50, concurrency: 4, onProgress: ({ completed }) => bar.update(completed) }
  ).pipe(Effect.ensuring(Effect.sync(() => bar.stop())))
  const seconds = ((performance.now() - started) / 1000).toFixed(2)
  yield* Console.log(
    `   ${response.embeddings.length} embeddings of ${response.embeddings[0]?.length} floats, ` +
      `${response.numTokensPromptTotal} tokens, ${Math.ceil(count / 50)} requests (4 at a time) in ${seconds} s`
  )
})

/**
 * The text with each scored span highlighted, the hotter the more important: a background
 * colour in a terminal, else [brackets] around the spans that score at least half the best.
 */
const highlight = (text: string, scores: ReadonlyArray<TextScore>): string => {
  const max = Math.max(...scores.map((span) => span.score), Number.MIN_VALUE)
  let out = ""
  let at = 0
  for (const span of [...scores].sort((a, b) => a.start - b.start)) {
    out += text.slice(at, span.start)
    const piece = text.slice(span.start, span.start + span.length)
    const heat = Math.max(0, span.score) / max
    if (colour) {
      // from dark grey (unimportant) through red to yellow (most important)
      const [r, g, b] = [Math.round(60 + 195 * heat), Math.round(60 + 160 * heat * heat), 60 - Math.round(40 * heat)]
      out += `\x1b[48;2;${r};${g};${b}m${heat > 0.5 ? "\x1b[30m" : "\x1b[97m"}${piece}\x1b[0m`
    } else {
      out += heat >= 0.5 ? `[${piece}]` : piece
    }
    at = span.start + span.length
  }
  return out + text.slice(at)
}

const explanation = Effect.gen(function*() {
  const client = yield* Client
  yield* heading(5, "Explanation: which words made the model answer \" apples\"?", completionModel)
  const text = "The orchard grows apples and pears. Which fruit goes into cider? Answer:"
  const request = new ExplanationRequest({
    prompt: Prompt.fromText(text),
    target: " apples",
    promptGranularity: "word",
    postprocessing: "absolute"
  })
  // withTextFromPrompt adds to each scored span the text it covers
  const response = (yield* client.explain(request, completionModel)).withTextFromPrompt(request)
  const scores = response.explanations[0]?.items.find((item) => item instanceof TextPromptItemExplanation)?.scores ?? []
  yield* Console.log(`   ${highlight(text, scores)}`)
  const top = [...scores].sort((a, b) => b.score - a.score).slice(0, 3)
  yield* Console.log(dim(`   most important: ${top.map((span) => `${span.text} (${span.score.toFixed(2)})`).join(", ")}`))
})

class Apple extends Schema.Class<Apple>("Apple")({
  variety: Schema.String,
  colour: Schema.Literal("red", "green", "yellow"),
  sweetness: Schema.Int.pipe(Schema.between(1, 10)),
  goodFor: Schema.Array(Schema.Literal("eating", "baking", "cider"))
}) {}

const structuredOutput = Effect.gen(function*() {
  const client = yield* Client
  yield* heading(6, "Structured output decoded into a typed value", chatModel)
  const apple: Apple = yield* client.chatStructured(
    new ChatRequest({
      model: chatModel,
      messages: [new Message({ role: "user", content: "Describe the Braeburn apple." })]
    }),
    Apple
  )
  yield* Console.log(`   variety:   ${apple.variety}`)
  yield* Console.log(`   colour:    ${apple.colour}`)
  yield* Console.log(`   sweetness: ${apple.sweetness}/10`)
  yield* Console.log(`   good for:  ${apple.goodFor.join(", ") || "-"}`)
  yield* Console.log(dim(`   (${apple instanceof Apple ? "an instance of class Apple, checked by its Schema" : "?"})`))
})

const tour = Effect.gen(function*() {
  const started = performance.now()
  const client = yield* Client
  const models = yield* client.models()
  yield* Console.log(`API version ${yield* client.getVersion()}; models: ${models.map((model) => model.name).join(", ")}`)
  yield* completion
  yield* streamedChat
  yield* semanticSearch
  yield* batchEmbedding
  yield* explanation
  yield* structuredOutput
  yield* Console.log(`\nDone in ${((performance.now() - started) / 1000).toFixed(1)} s.`)
})

// ---------------------------------------------------------------------------------------------

const program = useRealApi
  ? Console.log(`Running against ${process.env.ALEPH_ALPHA_HOST ?? "https://api.aleph-alpha.com"}.\n`).pipe(
    Effect.zipRight(tour),
    Effect.provide(Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer())))
  )
  : Effect.gen(function*() {
    const { url } = yield* Loopback.Loopback
    yield* Console.log(
      `ALEPH_ALPHA_TOKEN is not set: started the embedded fake server in this process, on ${url}.\n` +
        "Its answers are made up (it echoes your words). Set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST for the real API.\n"
    )
    yield* tour
  }).pipe(Effect.provide(Loopback.layerClient({ server: { latency: "5 millis" } })))

Effect.runPromise(program).catch((error) => {
  console.error(`\nThe demo failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
})
