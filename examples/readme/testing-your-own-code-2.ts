// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { afterAll, beforeEach, expect, test } from "vitest"
import { AsyncClient, CompletionRequest, Prompt, SemanticEmbeddingRequest } from "../../src/index.js"
import { Fault } from "../../src/testing/index.js"
import { Loopback } from "../../src/testing/node/index.js"

const server = await Loopback.start()
const client = new AsyncClient({ token: "test", host: server.url })
beforeEach(() => server.reset()) // no queued fault, no recorded request
afterAll(async () => {
  await client.close()
  await server.close()
})

test("retries the completion that got a 503, after an embedding that passed", async () => {
  // aimed at `complete`: the embedding call before it is answered normally
  server.script(Fault.Status({ status: 503, retryAfter: "0", path: "complete" }))
  await client.semanticEmbed(new SemanticEmbeddingRequest({ prompt: Prompt.fromText("apples"), representation: "symmetric" }), "luminous-base")
  const response = await client.complete(new CompletionRequest({ prompt: Prompt.fromText("Apples are"), maximumTokens: 8 }), "luminous-base")
  expect(response.completions[0]?.completion).not.toBe("")
  expect(server.requests().map((request) => request.path)).toEqual(["/semantic_embed", "/complete", "/complete"])
})
