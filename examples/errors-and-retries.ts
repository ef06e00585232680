/**
 * Errors and retries: every failure is a tagged class in the error channel. Bad input fails
 * before anything is sent; 408, 429, 5xx, lost connections and timeouts are retried; the
 * rest fail at once. The fake server is scripted to misbehave, so this one always runs on it.
 *
 *   npx tsx examples/errors-and-retries.ts
 */
import { Console, Effect } from "effect"
import { Client, CompletionRequest, Prompt, retrySchedule } from "../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../src/testing/index.js"

const model = "pharia-1-llm-7b-control"
const request = new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 8 })

const program = Effect.gen(function*() {
  const client = yield* Client
  const server = yield* FakeServer.FakeServer
  const attempts = Effect.map(server.requests, (requests) => requests.length)
  const complete = client.complete(request, model)

  // bad input is a ValidationError naming the field; nothing is sent
  const invalid = yield* Effect.flip(CompletionRequest.make({ prompt: Prompt.fromText("hi"), maximumTokens: -1 }))
  yield* Console.log(`${invalid._tag}: ${invalid.message}`)

  // 503 twice, then the real answer: retried with backoff, the caller sees only the success
  yield* server.script(Fault.Status({ status: 503, body: { error: "Queue full", code: "QUEUE_FULL" }, times: 2 }))
  yield* complete
  yield* Console.log(`succeeded after ${yield* attempts} attempts`)
  yield* server.reset

  // a server's Retry-After (or retry-after-ms) replaces the backoff
  yield* server.script(Fault.Status({ status: 429, headers: { "retry-after-ms": "100" } }))
  const started = Date.now()
  yield* complete
  yield* Console.log(`429 with retry-after-ms: 100 → retried after ${Date.now() - started} ms`)
  yield* server.reset

  // 400, 401, 402, 403 and 404 are never retried
  yield* server.script(Fault.Status({ status: 402, body: { error: "Out of credits", code: "QUOTA" } }))
  const quota = yield* Effect.flip(complete)
  yield* Console.log(`${quota._tag} after ${yield* attempts} attempt: ${quota.message}`)
  yield* server.reset

  // a stalled server: each attempt ends at requestTimeout (300 ms here), and is retried
  yield* server.script(Fault.StallHeaders())
  yield* complete
  yield* Console.log(`a stalled first attempt timed out; attempt ${yield* attempts} succeeded`)
  yield* server.reset

  // when retries run out, the last error surfaces; handle the ones you care about by tag
  yield* server.script(Fault.Status({ status: 503, body: { error: "Queue full", code: "QUEUE_FULL" }, times: 10 }))
  const handled = yield* complete.pipe(
    Effect.map((response) => response.completions[0]?.completion ?? ""),
    Effect.catchTags({
      BusyError: (error) => Effect.succeed(`busy (${error.code}), try later`),
      RateLimitError: (error) => Effect.succeed(`rate limited, retry after ${error.retryAfter}`)
    })
  )
  yield* Console.log(`after ${yield* attempts} attempts: ${handled}`)
  yield* server.reset

  // for an overall deadline across every attempt, wrap the call
  yield* server.script(Fault.StallHeaders({ times: 10 }))
  const deadline = yield* Effect.flip(complete.pipe(Effect.timeout("1 second")))
  yield* Console.log(`overall deadline: ${deadline._tag} after ${yield* attempts} attempts`)
})

// Client options: 300 ms per attempt, at most 3 retries starting at 20 ms (the defaults are
// 305 s and 8 retries from 250 ms). `retrySchedule` takes any Schedule; wrap your own in
// withRetryAfter(...) to keep honouring the server's Retry-After.
const layer = AlephAlphaTest.layer({
  client: { requestTimeout: "300 millis", retrySchedule: retrySchedule({ totalRetries: 3, initialDelay: "20 millis" }) }
})

Effect.runPromise(program.pipe(Effect.provide(layer)))
