// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Effect, Logger, LogLevel, Redacted } from "effect"
import { AlephAlphaHttp, AsyncClient, ChatRequest, Client, Message } from "../../src/index.js"

const request = new ChatRequest({
  model: "llama-3.1-8b-instruct",
  messages: [new Message({ role: "user", content: "Name three kinds of apple." })]
})

// one quick call without retries, with a header of its own, and its attempts logged
export const quick = Effect.flatMap(Client, (client) => client.chat(request)).pipe(
  AlephAlphaHttp.withCallOptions({ requestTimeout: "5 seconds", totalRetries: 0, headers: { "x-tenant": "team-a" } }),
  Logger.withMinimumLogLevel(LogLevel.Debug)
)

// the same with Promises; the client sends request ids and hands its debug lines to a function
export const quickAsync = async () => {
  await using client = new AsyncClient({
    token: Redacted.make(process.env.ALEPH_ALPHA_TOKEN ?? ""),
    requestId: true,
    logLevel: "debug",
    logger: (entry) => console.debug(entry.message, entry.annotations)
  })
  const response = await client.chat(request, { requestTimeout: "5 seconds", totalRetries: 0, signal: AbortSignal.timeout(10_000) })
  return response.message.content
}
