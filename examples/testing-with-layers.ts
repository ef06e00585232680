/**
 * Testing your own code: provide `AlephAlphaTest.layer()` instead of the real client and your
 * program talks to the embedded fake server, in memory. Check what it sent, script failures,
 * or replace one endpoint family with a stub.
 *
 *   npx tsx examples/testing-with-layers.ts
 *
 * Written with node:test so that it runs as a plain script; with @effect/vitest the bodies
 * are the same inside `it.effect(...)`: latency and timeouts then follow the TestClock, and
 * the client's waits between retries move it on by themselves.
 */
import assert from "node:assert/strict"
import { test } from "node:test"
import { Effect, Layer, Stream } from "effect"
import { Client, CompletionRequest, CompletionResponse, CompletionResult, Completions, Prompt } from "../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../src/testing/index.js"

// ---- the code under test (yours) ---------------------------------------------------------

const summarize = (text: string) =>
  Effect.gen(function*() {
    const client = yield* Client
    const response = yield* client.complete(
      new CompletionRequest({ prompt: Prompt.fromText(`${text}\nSummary:`), maximumTokens: 24, stopSequences: ["\n"] }),
      "pharia-1-llm-7b-control"
    )
    return response.completions[0]?.completion?.trim() ?? ""
  }).pipe(Effect.catchTag("BusyError", () => Effect.succeed("(busy, try again later)")))

// ---- its tests ---------------------------------------------------------------------------

test("summarize sends a bounded request and returns the completion", () =>
  Effect.gen(function*() {
    const summary = yield* summarize("Apples are red.")
    assert.ok(summary.length > 0)

    // the fake server records every request, so you can check what your code sent
    const server = yield* FakeServer.FakeServer
    const [request] = yield* server.requests
    const body = request?.body as { readonly maximum_tokens: number; readonly stop_sequences: Array<string> }
    assert.equal(request?.path, "/v1/complete")
    assert.equal(body.maximum_tokens, 24)
    assert.deepEqual(body.stop_sequences, ["\n"])
  }).pipe(Effect.provide(AlephAlphaTest.layer()), Effect.runPromise))

test("summarize answers politely when the model stays busy", () =>
  Effect.gen(function*() {
    const server = yield* FakeServer.FakeServer
    // the next request gets a 503; without retries (client option) the call fails at once
    yield* server.script(Fault.Status({ status: 503, body: { error: "Queue full", code: "QUEUE_FULL" } }))
    assert.equal(yield* summarize("Apples are red."), "(busy, try again later)")
  }).pipe(Effect.provide(AlephAlphaTest.layer({ client: { totalRetries: 0 } })), Effect.runPromise))

test("one endpoint family replaced by a stub, the others on the fake server", () => {
  const cannedCompletions = Layer.succeed(Completions, {
    complete: () =>
      Effect.succeed(
        new CompletionResponse({
          modelVersion: "stub",
          completions: [new CompletionResult({ completion: " Red fruit." })],
          numTokensPromptTotal: 4,
          numTokensGenerated: 3
        })
      ),
    completeWithStreaming: () => Stream.empty
  })
  const layer = Client.layerFromFamilies.pipe(Layer.provide(cannedCompletions), Layer.provide(AlephAlphaTest.layer()))
  return Effect.gen(function*() {
    assert.equal(yield* summarize("Apples are red."), "Red fruit.")
    const client = yield* Client
    assert.equal((yield* client.models()).length > 0, true) // still the fake server
  }).pipe(Effect.provide(layer), Effect.runPromise)
})
