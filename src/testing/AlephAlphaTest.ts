/**
 * One-line test layers: a `Client` wired to the embedded fake server, so users test their own
 * programs without a network.
 *
 * ```ts
 * it.effect("summarises", () => mySummary.pipe(Effect.provide(AlephAlphaTest.layer())))
 * ```
 *
 * In `it.effect` the clock is a `TestClock`, which stands still until the test moves it. The
 * client's waits between retries move it on by themselves (`retryWait: "advance"`), so a call
 * that meets a 503 and then succeeds finishes instead of waiting forever for a
 * `TestClock.adjust` nobody makes; server latency, stalls and timeouts still follow the
 * `TestClock` as the test moves it.
 */
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { ValidationError } from "../errors/AlephAlphaError.js"
import type { AlephAlphaHttpOptions } from "../services/AlephAlphaHttp.js"
import { Client, type Families } from "../services/Client.js"
import * as FakeServer from "./FakeServer.js"
import * as InMemory from "./InMemory.js"
import { clientOptions } from "./internal/retryWait.js"

export { advanceTestClock } from "./internal/retryWait.js"

/** Options of the test layers. */
export interface Options {
  /** How the fake server behaves (models, version, latency, …). Default: its defaults. */
  readonly server?: FakeServer.Options | undefined
  /**
   * Client options; `token` and `host` are filled in. Default: the client's defaults (timeouts
   * follow `TestClock` in `it.effect` tests; for the waits between retries see `retryWait`).
   */
  readonly client?: Partial<AlephAlphaHttpOptions> | undefined
  /**
   * What the client's wait between two attempts does under `TestClock`. `"advance"`: it moves
   * the `TestClock` on by the wait at once (the backoff, or the server's `Retry-After`), so a
   * retried call finishes without a `TestClock.adjust` and the virtual time it took is the
   * time it waited. `"follow"`: it waits until the test moves the `TestClock` past it, for
   * tests of the backoff itself (a call then waits forever unless the test adjusts the clock).
   * Under the live clock both sleep for real. Default: `"advance"`.
   */
  readonly retryWait?: "advance" | "follow" | undefined
}

/** The token the test layers use; the fake server accepts any non-empty one. */
export const token: Redacted.Redacted<string> = Redacted.make("aleph-alpha-test-token")

export type Provided = Client | Families | FakeServer.FakeServer

/**
 * `Client` and every family over the fake server in memory, plus the `FakeServer` service to
 * script faults and read the requests it received. Server-side latency follows the caller's
 * clock (`TestClock` in `it.effect`).
 */
export const layer = (options: Options = {}): Layer.Layer<Provided, ValidationError> =>
  Client.layer({ token, host: `${InMemory.url}/v1`, ...clientOptions(options) }).pipe(
    Layer.provide(InMemory.layerClient),
    Layer.provideMerge(FakeServer.layer(options.server))
  )
