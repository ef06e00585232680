/**
 * 1,000 concurrent `complete` calls through one client over a real socket: all succeed, each
 * with its own answer, and the connections to the server never exceed the pool's limit.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import { CompletionRequest, Prompt } from "../../src/index.js"
import { loopback, observed, valueOf } from "./harness.js"

const connectionLimit = 10
const calls = 1000

describe("1,000 concurrent complete calls through one client", () => {
  it.live(`all succeed, each once with its own answer; open connections stay within connectionLimit (${connectionLimit})`, () =>
    observed((observer) =>
      Effect.gen(function*() {
        const h = yield* loopback(observer, { connectionLimit, client: { totalRetries: 0 } })

        // sample the server's open sockets for as long as the calls run
        let peak = 0
        let samples = 0
        const sampler = yield* Effect.fork(Effect.forever(
          Effect.flatMap(h.server.openConnections, (open) =>
            Effect.sync(() => {
              peak = Math.max(peak, open)
              samples++
            })).pipe(Effect.zipRight(Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))))
        ))

        const start = Date.now()
        const exits = yield* Effect.forEach(
          Array.from({ length: calls }, (_, i) => i),
          (i) =>
            Effect.exit(h.client.complete(
              new CompletionRequest({ prompt: Prompt.fromText(`call${i} alpha`), maximumTokens: 2 }),
              "luminous-base"
            )),
          { concurrency: "unbounded" }
        )
        const elapsed = Date.now() - start
        yield* Fiber.interrupt(sampler)
        yield* observer.outcome(Exit.void)
        for (const exit of exits.filter(Exit.isFailure).slice(0, 3)) yield* observer.outcome(exit)

        expect(exits.filter(Exit.isFailure)).toHaveLength(0)
        exits.forEach((exit, i) => {
          expect(valueOf(exit).completions.map((c) => c.completion)).toEqual([` call${i} alpha`])
        })
        // every call reached the server exactly once
        const prompts = (yield* h.fake.requests).map((request) =>
          ((request.body as { prompt: Array<{ data: string }> }).prompt[0]!.data)
        )
        expect(prompts).toHaveLength(calls)
        expect(new Set(prompts).size).toBe(calls)

        expect(samples).toBeGreaterThan(10)
        expect(peak).toBeGreaterThan(1)
        expect(peak).toBeLessThanOrEqual(connectionLimit)
        expect(elapsed).toBeLessThan(30_000)
        yield* h.expectSettled
        observer.expectAuthorizationRedacted()
      })
    ).pipe(Effect.scoped), 60_000)
})
