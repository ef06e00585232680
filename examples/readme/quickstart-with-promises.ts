// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { AsyncClient, type ChatRequest, QuotaError } from "../../src/index.js"

await using client = new AsyncClient({ token: process.env.ALEPH_ALPHA_TOKEN ?? "", host: process.env.ALEPH_ALPHA_HOST })

const request: ChatRequest.Input = {
  model: "llama-3.1-8b-instruct",
  messages: [{ role: "user", content: "Name three kinds of apple." }]
}
try {
  const response = await client.chat(request)
  console.log(response.message.content)
  for await (const event of client.chatWithStreaming(request, { signal: AbortSignal.timeout(10_000) })) {
    if (event._tag === "ChatStreamChunk") process.stdout.write(event.content)
  }
} catch (error) {
  if (error instanceof QuotaError) console.error("out of credits")
  else throw error
}
