// What `npm run test:pack` typechecks in a fresh project against the packed tarball's
// declarations, under NodeNext and under Bundler resolution, with `skipLibCheck: false`,
// `strict` and `exactOptionalPropertyTypes` (scripts/test-pack.mjs writes the tsconfigs). It
// imports every public entry and uses a handful of types as an application would; it is
// typechecked only, never run.
import { Duration, Effect, Layer, Redacted, Stream } from "effect"
import {
  type ApiError,
  AsyncClient,
  BatchSemanticEmbeddingRequest,
  type BusyError,
  ChatRequest,
  type ChatResponse,
  Client,
  CompletionRequest,
  type Embeddings,
  Message,
  Prompt,
  RateLimitError,
  SemanticEmbeddingRequest,
  type Tokenization,
  type ValidationError
} from "aleph-alpha-client"
import { AsyncFileLoaders, UndiciHttpClient } from "aleph-alpha-client/node"
import { Document, documentFromDocxBytes } from "aleph-alpha-client/document"
import { PromptTemplate, promptTemplate, renderPromptTemplate } from "aleph-alpha-client/template"
import { type Tokenizer, tokenizer, tokenizerFromJson } from "aleph-alpha-client/tokenizer"
import { AlephAlphaTest, FakeServer, Fault } from "aleph-alpha-client/testing"
import { Loopback } from "aleph-alpha-client/testing/node"
import { AlephAlphaEmbeddingModel, AlephAlphaLanguageModel, getAlephAlphaError } from "aleph-alpha-client/ai"

// a Client layer program, its error type narrowed by a handler
const chat = new ChatRequest({
  model: "llama-3.1-8b-instruct",
  messages: [new Message({ role: "user", content: "Name three kinds of apple." })]
})
export const program: Effect.Effect<string, Exclude<ApiError, BusyError>, Client> = Effect.gen(
  function*() {
    const client = yield* Client
    const response: ChatResponse = yield* client.chat(chat)
    let streamed = ""
    yield* Stream.runForEach(client.chatWithStreaming(chat), (event) =>
      Effect.sync(() => {
        if (event._tag === "ChatStreamChunk") streamed += event.content
      }))
    return typeof response.message.content === "string" ? response.message.content : streamed
  }
).pipe(Effect.catchTag("BusyError", () => Effect.succeed("busy")))

export const AlephAlpha: Layer.Layer<Client, ValidationError> = Client.layer({
  token: Redacted.make("token"),
  host: "https://inference.example.com/v1",
  requestTimeout: "60 seconds"
}).pipe(Layer.provide(UndiciHttpClient.layer({ connectionLimit: 20 })))

export const tested = program.pipe(Effect.provide(AlephAlphaTest.layer({ client: { totalRetries: 0 } })))
export const scripted = Effect.flatMap(FakeServer.FakeServer, (server) => server.script(Fault.Status({ status: 503 })))
export const overLoopback = program.pipe(Effect.provide(Loopback.layerClient()))
export const promiseTest = async (): Promise<number> => {
  await using server = await Loopback.start()
  server.script(Fault.Status({ status: 503, retryAfter: "0", path: "complete" }))
  await using client = new AsyncClient({ token: "test", host: server.url })
  await client.complete(new CompletionRequest({ prompt: Prompt.fromText("An apple"), maximumTokens: 5 }), "luminous-base")
  return server.requests().length
}

// the Promise API
export const withPromises = async (): Promise<number> => {
  await using client = new AsyncClient({ token: "token", host: "https://inference.example.com/v1" })
  try {
    const answer = await client.complete(
      new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 20 }),
      "luminous-base"
    )
    const batch = await client.batchSemanticEmbed(
      new BatchSemanticEmbeddingRequest({ prompts: [Prompt.fromText("apple")], representation: "symmetric" }),
      "luminous-base",
      { onProgress: ({ completed, total }) => console.log(`${completed}/${total}`) }
    )
    const image = await AsyncFileLoaders.imageFromFile("apple.png")
    const prompt = await renderPromptTemplate(await promptTemplate("Hello {{ name }}"), { name: "apple" })
    const document = Document.fromText("An apple a day")
    const fromDocx: Document = await documentFromDocxBytes(new Uint8Array())
    const offline: Tokenizer = await tokenizerFromJson("{}").pipe(Effect.runPromise)
    const ids: Array<number> = offline.encode("an apple").ids
    return answer.completions.length + batch.embeddings.length + ids.length + prompt.items.length +
      document.toPrompt().items.length + fromDocx.toPrompt().items.length + (image === undefined ? 0 : 1)
  } catch (error) {
    if (error instanceof RateLimitError) return error.retryAfter === undefined ? -1 : Duration.toSeconds(error.retryAfter)
    throw error
  }
}

export const embeddingsOnly = (embeddings: Embeddings["Type"]) =>
  embeddings.semanticEmbed(new SemanticEmbeddingRequest({ prompt: Prompt.fromText("apple"), representation: "query" }), "luminous-base")
export const template = PromptTemplate.make("Hello {{ name }}")
export const modelTokenizer: Effect.Effect<Tokenizer, ApiError, Tokenization> = tokenizer("luminous-base")
export const languageModel = AlephAlphaLanguageModel.model("llama-3.1-8b-instruct")
export const embeddingModel = AlephAlphaEmbeddingModel
export const fromAiError = getAlephAlphaError
