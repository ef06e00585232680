/**
 * One-line test layers: a `Client` wired to the embedded fake server, so users test their own
 * programs without a network.
 *
 * ```ts
 * it.effect("summarises", () => mySummary.pipe(Effect.provide(AlephAlphaTest.layer())))
 * ```
 */
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { ValidationError } from "../errors/AlephAlphaError.js"
import type { AlephAlphaHttpOptions } from "../services/AlephAlphaHttp.js"
import { Client, type Families } from "../services/Client.js"
import * as FakeServer from "./FakeServer.js"
import * as InMemory from "./InMemory.js"

/** Options of the test layers. */
export interface Options {
  /** How the fake server behaves (models, version, latency, …). Default: its defaults. */
  readonly server?: FakeServer.Options | undefined
  /**
   * Client options; `token` and `host` are filled in. Default: the client's defaults, so
   * retries and timeouts follow `TestClock` in `it.effect` tests.
   */
  readonly client?: Partial<AlephAlphaHttpOptions> | undefined
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
  Client.layer({ token, host: `${InMemory.url}/v1`, ...options.client }).pipe(
    Layer.provide(InMemory.layerClient),
    Layer.provideMerge(FakeServer.layer(options.server))
  )
