/**
 * One-line test layers: a `Client` wired to the embedded fake server, so users test their own
 * programs without a network.
 *
 * ```ts
 * it.effect("summarises", () => mySummary.pipe(Effect.provide(AlephAlphaTest.layer())))
 * ```
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { ValidationError } from "../errors/AlephAlphaError.js"
import { AlephAlphaHttp, type AlephAlphaHttpOptions } from "../services/AlephAlphaHttp.js"
import { Client, type Families } from "../services/Client.js"
import * as FakeServer from "./FakeServer.js"
import * as InMemory from "./InMemory.js"
import * as Loopback from "./Loopback.js"

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

type Provided = Client | Families | FakeServer.FakeServer

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

/**
 * The same over a real socket: the fake server listens on 127.0.0.1 and the client uses the
 * undici transport. For tests about connections; needs Node.
 */
export const layerLoopback = (
  options: Options & { readonly connectionLimit?: number | undefined } = {}
): Layer.Layer<Provided | Loopback.Loopback, ValidationError> => {
  const client = Layer.unwrapEffect(
    Effect.map(Loopback.Loopback, (server) =>
      Client.layer({ token, host: `${server.url}/v1`, ...options.client }).pipe(
        Layer.provide(AlephAlphaHttp.layerUndici({ connectionLimit: options.connectionLimit }))
      ))
  )
  return client.pipe(
    Layer.provideMerge(Loopback.layer()),
    Layer.provideMerge(FakeServer.layer(options.server))
  )
}

