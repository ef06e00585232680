/**
 * Streaming: completion and chat token by token, stopping a stream early (which closes its
 * HTTP connection), and folding a stream back into the response a plain call returns.
 *
 *   npx tsx examples/streaming.ts
 *
 * Runs on the embedded fake server; set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it
 * against the real API.
 */
import { Chunk, Console, Effect, Layer, Option, Stream } from "effect"
import {
  ChatRequest,
  ChatResponse,
  Client,
  CompletionRequest,
  Prompt
} from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const write = (text: string) => Effect.sync(() => process.stdout.write(text))

const program = Effect.gen(function*() {
  const client = yield* Client

  // completion: StreamChunk (text), StreamSummary (per completion), CompletionSummary (last)
  yield* Console.log("completion:")
  yield* client.completeWithStreaming(
    new CompletionRequest({ prompt: Prompt.fromText("Once upon a time"), maximumTokens: 12 }),
    "pharia-1-llm-7b-control"
  ).pipe(
    Stream.runForEach((event) => {
      switch (event._tag) {
        case "StreamChunk":
          return write(event.completion)
        case "StreamSummary":
          return write(`\n  [finished: ${event.finishReason}]`)
        case "CompletionSummary":
          return Console.log(`\n  [${event.numTokensGenerated} tokens generated]`)
      }
    })
  )

  // chat: ChatStreamChunk (content delta), ToolCall, ChatFinish, and Usage when asked for
  const request = new ChatRequest({
    model: "llama-3.1-8b-instruct",
    messages: [{ role: "user", content: "Tell me a short story about an apple tree." }],
    maximumTokens: 40,
    streamOptions: { includeUsage: true }
  })
  yield* Console.log("chat:")
  yield* client.chatWithStreaming(request).pipe(
    Stream.runForEach((event) => {
      switch (event._tag) {
        case "ChatStreamChunk":
          return write(event.content)
        case "ChatFinish":
          return write(`\n  [finished: ${event.finishReason}]`)
        case "Usage":
          return Console.log(`\n  [${event.totalTokens} tokens in total]`)
        case "ToolCall":
          return Effect.void
      }
    })
  )

  // stop early: take the first five content chunks; the rest is never read and the
  // request is aborted (the same happens on interruption, e.g. by Effect.timeout)
  const firstWords = yield* client.chatWithStreaming(request).pipe(
    Stream.filterMap((event) =>
      event._tag === "ChatStreamChunk" && event.content !== "" ? Option.some(event.content) : Option.none()
    ),
    Stream.take(5),
    Stream.runCollect
  )
  yield* Console.log(`first five chunks: ${JSON.stringify(Chunk.toReadonlyArray(firstWords))}`)

  // or fold the whole stream into the ChatResponse that `chat` would have returned
  const response = yield* ChatResponse.fromStream(client.chatWithStreaming(request))
  yield* Console.log(`folded: ${response.message.content.length} characters, finish reason ${response.finishReason}`)
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
