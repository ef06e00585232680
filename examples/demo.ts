// `npm run demo`: a short tour of the client. Without ALEPH_ALPHA_TOKEN it runs against the
// embedded fake server, in this process; with it (and ALEPH_ALPHA_HOST) against the real API.
import { Console, Effect, Layer, Stream } from "effect"
import {
  AlephAlphaHttp,
  ChatRequest,
  Client,
  CompletionRequest,
  Message,
  Prompt
} from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"

const useRealApi = (process.env.ALEPH_ALPHA_TOKEN ?? "") !== ""
const completionModel = process.env.ALEPH_ALPHA_COMPLETION_MODEL ?? "luminous-base"
const chatModel = process.env.ALEPH_ALPHA_CHAT_MODEL ?? "llama-3.1-8b-instruct"

const tour = Effect.gen(function*() {
  const client = yield* Client

  const models = yield* client.models()
  yield* Console.log(`Models: ${models.map((model) => model.name).join(", ")}`)
  yield* Console.log(`API version: ${yield* client.getVersion()}`)

  const completion = yield* client.complete(
    new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 16 }),
    completionModel
  )
  yield* Console.log(`\nCompletion of "An apple a day":${completion.completions[0]?.completion ?? ""}`)

  yield* Console.log("\nChat, streamed token by token:")
  yield* client.chatWithStreaming(
    new ChatRequest({
      model: chatModel,
      messages: [new Message({ role: "user", content: "Tell me something about apples, briefly please." })],
      maximumTokens: 24
    })
  ).pipe(
    Stream.runForEach((event) =>
      event._tag === "ChatStreamChunk"
        ? Effect.sync(() => process.stdout.write(event.content))
        : Effect.void
    )
  )
  yield* Console.log("\n\nDone.")
})

const layer = useRealApi
  ? Client.layerConfig().pipe(Layer.provide(AlephAlphaHttp.layerUndici()))
  : AlephAlphaTest.layer({ server: { latency: "20 millis" } })

if (!useRealApi) {
  console.log("ALEPH_ALPHA_TOKEN is not set: running against the embedded fake server (in this process).\n")
}

Effect.runPromise(Effect.provide(tour, layer)).catch((error) => {
  console.error(String(error))
  process.exitCode = 1
})
