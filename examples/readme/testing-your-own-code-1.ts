// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Client, CompletionRequest, Prompt } from "../../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../../src/testing/index.js"

// the code under test
const summarize = (text: string) =>
  Effect.gen(function*() {
    const client = yield* Client
    const response = yield* client.complete(
      new CompletionRequest({ prompt: Prompt.fromText(`${text}\nSummary:`), maximumTokens: 24 }),
      "pharia-1-llm-7b-control"
    )
    return response.completions[0]?.completion?.trim() ?? ""
  }).pipe(Effect.catchTag("BusyError", () => Effect.succeed("(busy)")))

describe("summarize", () => {
  it.effect("sends a bounded request", () =>
    Effect.gen(function*() {
      expect(yield* summarize("Apples are red.")).not.toBe("")
      const server = yield* FakeServer.FakeServer
      const [request] = yield* server.requests
      expect(request?.body).toMatchObject({ maximum_tokens: 24 })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("says so when the model is busy", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      yield* server.script(Fault.Status({ status: 503, body: { error: "Queue full", code: "QUEUE_FULL" } }))
      expect(yield* summarize("Apples are red.")).toBe("(busy)")
    }).pipe(Effect.provide(AlephAlphaTest.layer({ client: { totalRetries: 0 } }))))

  it.effect("gets through a 503 by retrying", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      yield* server.script(Fault.Status({ status: 503 }))
      expect(yield* summarize("Apples are red.")).not.toBe("(busy)")
      expect(yield* server.requests).toHaveLength(2) // no TestClock.adjust needed
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})
