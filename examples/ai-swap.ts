// `npx tsx examples/ai-swap.ts`: a program written against @effect/ai, run with Aleph Alpha as
// its provider. Without ALEPH_ALPHA_TOKEN it runs against the embedded fake server, in this
// process; with it (and ALEPH_ALPHA_HOST) against the real API.
//
// The program names no provider. Swapping providers is one layer: where this file provides
//
//   AlephAlphaLanguageModel.model("llama-3.1-8b-instruct")   (needs aleph-alpha-client's Client)
//
// an OpenAI user provides OpenAiLanguageModel.model("gpt-4o") (needs OpenAiClient), and the
// program stays as it is.
import { EmbeddingModel, LanguageModel, Prompt, Tool, Toolkit } from "@effect/ai"
import { Console, Effect, Layer, Schema, Stream } from "effect"
import { AlephAlphaEmbeddingModel, AlephAlphaLanguageModel } from "../src/ai/index.js"
import { Client } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

// ---------------------------------------------------------------------------------------------
// The program: @effect/ai only.

const GetWeather = Tool.make("get_weather", {
  description: "The current weather in a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number, sky: Schema.String })
})

const WeatherTools = Toolkit.make(GetWeather)

const WeatherToolsLive = WeatherTools.toLayer({
  get_weather: ({ city }) => Effect.succeed({ city, celsius: 21, sky: "sunny" })
})

const Recipe = Schema.Struct({
  name: Schema.String,
  ingredients: Schema.Array(Schema.String),
  minutes: Schema.Number
})

const cosine = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!
    na += a[i]! * a[i]!
    nb += b[i]! * b[i]!
  }
  return dot / Math.sqrt(na * nb)
}

const program = Effect.gen(function*() {
  const answer = yield* LanguageModel.generateText({ prompt: "Tell me something about apples, briefly please." })
  yield* Console.log(`generateText: ${answer.text}`)
  yield* Console.log(`  finish reason ${answer.finishReason}, tokens in/out ${answer.usage.inputTokens}/${answer.usage.outputTokens}`)

  yield* Console.log("\nstreamText:")
  yield* LanguageModel.streamText({ prompt: "Count from one to five." }).pipe(
    Stream.runForEach((part) => part.type === "text-delta" ? Effect.sync(() => process.stdout.write(part.delta)) : Effect.void)
  )

  const recipe = yield* LanguageModel.generateObject({
    prompt: "A quick apple recipe.",
    schema: Recipe,
    objectName: "recipe"
  })
  yield* Console.log(`\n\ngenerateObject: ${JSON.stringify(recipe.value)}`)

  // a tool round trip: the model calls the tool, the toolkit's handler answers, the model replies
  const question = Prompt.make("What is the weather in Berlin?")
  const withCall = yield* LanguageModel.generateText({ prompt: question, toolkit: WeatherTools })
  for (const call of withCall.toolCalls) yield* Console.log(`\ntool call: ${call.name}(${JSON.stringify(call.params)})`)
  for (const result of withCall.toolResults) yield* Console.log(`tool result: ${JSON.stringify(result.result)}`)
  const final = yield* LanguageModel.generateText({
    prompt: Prompt.merge(question, Prompt.fromResponseParts(withCall.content)),
    toolkit: WeatherTools
  })
  yield* Console.log(`final answer: ${final.text}`)

  const embeddings = yield* EmbeddingModel.EmbeddingModel
  const [apple, pear, car] = yield* embeddings.embedMany(["apple", "pear", "car"])
  yield* Console.log(
    `\nembedMany: ${apple!.length} dimensions; apple~pear ${cosine(apple!, pear!).toFixed(3)}, ` +
      `apple~car ${cosine(apple!, car!).toFixed(3)}`
  )
}).pipe(Effect.provide(WeatherToolsLive))

// ---------------------------------------------------------------------------------------------
// The provider: Aleph Alpha, over the real API or the fake server.

const useRealApi = (process.env.ALEPH_ALPHA_TOKEN ?? "") !== ""
const chatModel = process.env.ALEPH_ALPHA_CHAT_MODEL ?? "llama-3.1-8b-instruct"
const embeddingModel = process.env.ALEPH_ALPHA_EMBEDDING_MODEL ?? "luminous-base"

const client = useRealApi
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

const alephAlpha = Layer.mergeAll(
  AlephAlphaLanguageModel.model(chatModel, { maximumTokens: 24 }),
  AlephAlphaEmbeddingModel.model(embeddingModel)
).pipe(Layer.provide(client))

if (!useRealApi) {
  console.log("ALEPH_ALPHA_TOKEN is not set: running against the embedded fake server (in this process).\n")
}

Effect.runPromise(Effect.provide(program, alephAlpha)).catch((error) => {
  console.error(String(error))
  process.exitCode = 1
})
