// A lean loopback API server for `npm run bench`, in its own process: precomputed answers over
// plain `node:http`, so the server costs as little as possible and the clients are what is
// measured. Prints its URL on the first line of stdout; serves until stdin closes.
import * as http from "node:http"

const encoder = new TextEncoder()

const chatJson = JSON.stringify({
  id: "chatcmpl-bench",
  choices: [{
    finish_reason: "stop",
    index: 0,
    message: { role: "assistant", content: "An apple a day keeps the doctor away, as the saying goes." },
    logprobs: null
  }],
  created: 1754484237,
  model: "llama-3.1-8b-instruct",
  system_fingerprint: null,
  object: "chat.completion",
  usage: { prompt_tokens: 16, completion_tokens: 14, total_tokens: 30 }
})

/** Number of content events in the streamed answers. */
export const streamEvents = 5000

const chatChunk = (delta: object, finish: string | null) =>
  `data: ${
    JSON.stringify({
      id: "chatcmpl-bench",
      choices: [{ finish_reason: finish, index: 0, delta, logprobs: null }],
      created: 1754484240,
      model: "llama-3.1-8b-instruct",
      system_fingerprint: null,
      object: "chat.completion.chunk",
      usage: null
    })
  }\n\n`

const chatStream = encoder.encode(
  chatChunk({ role: "assistant", content: "" }, null) +
    Array.from({ length: streamEvents }, (_, i) => chatChunk({ content: ` word${i}` }, null)).join("") +
    chatChunk({}, "stop") +
    "data: [DONE]\n\n"
)

const completionStream = encoder.encode(
  Array.from(
    { length: streamEvents },
    (_, i) => `data: ${JSON.stringify({ type: "stream_chunk", index: 0, completion: ` word${i}` })}\n\n`
  ).join("") +
    `data: ${JSON.stringify({ type: "stream_summary", index: 0, model_version: "2022-04", finish_reason: "maximum_tokens" })}\n\n` +
    `data: ${JSON.stringify({ type: "completion_summary", num_tokens_prompt_total: 4, num_tokens_generated: streamEvents })}\n\n`
)

/** Floats per embedding, and the latency of each batch request. */
export const embeddingSize = 5120
export const embedLatencyMs = 5

const vector = Array.from({ length: embeddingSize }, (_, i) => Math.round(Math.sin(i) * 1e6) / 1e6)
const vectorJson = JSON.stringify(vector)
const embedAnswers = new Map<number, Uint8Array>()
const embedAnswer = (count: number) => {
  let answer = embedAnswers.get(count)
  if (answer === undefined) {
    answer = encoder.encode(
      `{"model_version":"2022-04","embeddings":[${Array(count).fill(vectorJson).join(",")}],"num_tokens_prompt_total":${count}}`
    )
    embedAnswers.set(count, answer)
  }
  return answer
}

const readBody = (request: http.IncomingMessage) =>
  new Promise<string>((resolve) => {
    const parts: Array<Buffer> = []
    request.on("data", (part: Buffer) => parts.push(part))
    request.on("end", () => resolve(Buffer.concat(parts).toString("utf8")))
  })

const server = http.createServer(async (request, response) => {
  const body = await readBody(request)
  const path = (request.url ?? "").replace(/\?.*$/, "").replace(/^\/v1/, "")
  if (path === "/chat/completions") {
    if (body.includes("\"stream\":true")) {
      response.writeHead(200, { "content-type": "text/event-stream" })
      response.end(chatStream)
    } else {
      response.writeHead(200, { "content-type": "application/json" })
      response.end(chatJson)
    }
  } else if (path === "/complete") {
    response.writeHead(200, { "content-type": "text/event-stream" })
    response.end(completionStream)
  } else if (path === "/batch_semantic_embed") {
    const count = (JSON.parse(body) as { prompts: Array<unknown> }).prompts.length
    setTimeout(() => {
      response.writeHead(200, { "content-type": "application/json" })
      response.end(embedAnswer(count))
    }, embedLatencyMs)
  } else {
    response.writeHead(404, { "content-type": "application/json" })
    response.end("{\"error\":\"not found\",\"code\":\"NOT_FOUND\"}")
  }
})
server.keepAliveTimeout = 60_000

if (process.argv[1]?.endsWith("server.ts") || process.argv[1]?.endsWith("server.js")) {
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    console.log(`http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`)
  })
  process.stdin.on("end", () => process.exit(0))
  process.stdin.resume()
}
