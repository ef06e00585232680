/**
 * AsyncClient: the whole API with Promises and async iterables, for code that does not use
 * Effect. Failures reject with the same error classes (`instanceof` works).
 *
 *   npx tsx examples/async-client.ts
 *
 * Without ALEPH_ALPHA_TOKEN it starts the embedded fake server on 127.0.0.1 first; with it
 * (and ALEPH_ALPHA_HOST) it talks to the real API.
 */
import {
  AbortError,
  AsyncClient,
  BatchSemanticEmbeddingRequest,
  ChatRequest,
  CompletionRequest,
  NotFoundError,
  Prompt
} from "../src/index.js"
import { Loopback } from "../src/testing/node/index.js"

const token = process.env.ALEPH_ALPHA_TOKEN
// the embedded fake server on a real socket, unless there is a token for the real API
const fake = token ? undefined : await Loopback.start({ latency: "20 millis" })
const host = fake === undefined ? process.env.ALEPH_ALPHA_HOST : `${fake.url}/v1`

try {
  // closing the client (here by `await using`) releases its connections
  await using client = new AsyncClient({ token: token || "any-token-will-do", host })

  const response = await client.complete(
    new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 12 }),
    "pharia-1-llm-7b-control"
  )
  console.log(`completion:${response.completions[0]?.completion}`)

  // streams are async iterables; leaving the loop early closes the request
  const request = new ChatRequest({
    model: "llama-3.1-8b-instruct",
    messages: [{ role: "user", content: "Name three kinds of apple, please." }],
    maximumTokens: 30
  })
  let words = 0
  for await (const event of client.chatWithStreaming(request)) {
    if (event._tag === "ChatStreamChunk") process.stdout.write(event.content)
    if (event._tag === "ChatStreamChunk" && event.content.trim() !== "" && ++words === 4) break
  }
  console.log(" … (stopped after four words)")

  // batch embedding with progress
  const prompts = Array.from({ length: 250 }, (_, i) => Prompt.fromText(`apple number ${i}`))
  const embedded = await client.batchSemanticEmbed(
    new BatchSemanticEmbeddingRequest({ prompts, representation: "symmetric", compressToSize: 128 }),
    "luminous-base",
    { batchSize: 100, concurrency: 2, onProgress: ({ completed, total }) => console.log(`  embedded ${completed}/${total}`) }
  )
  console.log(`${embedded.embeddings.length} embeddings`)

  // errors are classes; an AbortSignal cancels a call
  try {
    await client.complete(new CompletionRequest({ prompt: Prompt.fromText("hi") }), "no-such-model")
  } catch (error) {
    if (error instanceof NotFoundError) console.log(`NotFoundError: ${error.code}`)
    else throw error
  }
  try {
    await client.models({ signal: AbortSignal.timeout(5) })
  } catch (error) {
    if (error instanceof AbortError) console.log(`AbortError: ${error.message}`)
    else throw error
  }
} finally {
  await fake?.close()
}
