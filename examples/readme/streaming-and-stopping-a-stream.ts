// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Chunk, Effect, Option, Stream } from "effect"
import { ChatRequest, ChatResponse, Client } from "../../src/index.js"

const request = new ChatRequest({
  model: "llama-3.1-8b-instruct",
  messages: [{ role: "user", content: "Tell me a story about an apple tree." }]
})

export const program = Effect.gen(function*() {
  const client = yield* Client

  // print each delta as it arrives
  yield* client.chatWithStreaming(request).pipe(
    Stream.runForEach((event) =>
      event._tag === "ChatStreamChunk" ? Effect.sync(() => process.stdout.write(event.content)) : Effect.void
    )
  )

  // stop early: after five chunks, the request is aborted and its connection closed
  const firstChunks = yield* client.chatWithStreaming(request).pipe(
    Stream.filterMap((event) => event._tag === "ChatStreamChunk" ? Option.some(event.content) : Option.none()),
    Stream.take(5),
    Stream.runCollect
  )

  // interrupting does the same, e.g. a time limit for the whole stream
  yield* client.chatWithStreaming(request).pipe(Stream.runDrain, Effect.timeout("5 seconds"), Effect.ignore)

  // or fold the events into the ChatResponse that `chat` returns
  const response = yield* ChatResponse.fromStream(client.chatWithStreaming(request))
  return [Chunk.join(firstChunks, ""), response.message.content] as const
})
