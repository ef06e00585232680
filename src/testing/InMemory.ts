/**
 * The fake server in memory: a `fetch` shim in front of `HttpApp.toWebHandlerRuntime`, for the
 * platform's `FetchHttpClient`. The handler runs on the runtime of whoever builds the shim, so
 * latency and stalls inside the server follow that caller's `TestClock`.
 *
 * Lost connections look like undici's: before the headers the fetch promise rejects with
 * `TypeError("fetch failed")` caused by an `ECONNRESET` error; mid-body the response body
 * stream errors with `TypeError("terminated")` caused by an `UND_ERR_SOCKET` error, after the
 * bytes already sent have been read.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpApp from "@effect/platform/HttpApp"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { FakeConnection, type Service as ConnectionService } from "./FakeConnection.js"
import { FakeServer, type Service as FakeServerService } from "./FakeServer.js"

/** A base URL for clients of the in-memory server; any other host works as well. */
export const url = "http://fake.aleph-alpha.test"

/** A `fetch` reaching the fake server without a network. */
export interface Transport {
  readonly fetch: typeof globalThis.fetch
  /** Exchanges whose handler or response body is still running. */
  readonly openConnections: Effect.Effect<number>
}

/** The error of a connection lost before any response header (what undici's fetch rejects with). */
export const connectionReset = (): TypeError =>
  new TypeError("fetch failed", { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) })

/** The error of a connection lost while the body is read (what undici's body stream errors with). */
export const connectionTerminated = (): TypeError =>
  new TypeError("terminated", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) })

// Set by the app wrapper once the fake server has produced its answer: a drop after that
// happens mid-body, one before it before the headers.
class Responded extends Context.Tag("aleph-alpha-client/testing/InMemory/Responded")<Responded, () => void>() {}

const BROKEN: unique symbol = Symbol("aleph-alpha-client/testing/InMemory/broken")

const ignore = () => {}

/** Builds the shim over `server`, running it on the current runtime (so on its `TestClock`). */
export const make = (server: FakeServerService): Effect.Effect<Transport> =>
  Effect.map(Effect.runtime<never>(), (runtime) => {
    const app = Effect.flatMap(
      Effect.serviceOption(Responded),
      (responded) => Option.isNone(responded) ? server.app : Effect.tap(server.app, () => responded.value())
    )
    const handler = HttpApp.toWebHandlerRuntime(runtime)(app)
    let open = 0

    const fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
      new Promise<Response>((resolve, reject) => {
        const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? undefined
        if (signal?.aborted) return reject(signal.reason)
        let request: Request
        try {
          request = new Request(input, init)
        } catch (error) {
          return reject(error)
        }

        open++
        let closed = false
        let settled = false // the fetch promise was resolved or rejected
        let responded = false
        let failure: unknown = undefined
        let onBroken: () => void = ignore
        const broken = new Promise<typeof BROKEN>((resolveBroken) => {
          onBroken = () => resolveBroken(BROKEN)
        })
        // errors the body at once (an abort does not wait for queued bytes to be read)
        let failBodyNow: (error: unknown) => void = ignore

        const close = () => {
          if (closed) return
          closed = true
          open--
          signal?.removeEventListener("abort", onAbort)
        }
        const onAbort = () => {
          const reason = signal?.reason
          if (!settled) {
            // the web handler interrupts its fiber on the request's (same) signal
            settled = true
            reject(reason)
          } else {
            failBodyNow(reason)
          }
        }
        signal?.addEventListener("abort", onAbort, { once: true })

        const connection: ConnectionService = {
          drop: () =>
            Effect.suspend(() => {
              if (!responded) {
                settled = true
                reject(connectionReset())
                return Effect.interrupt
              }
              // mid-body: the reader gets what was sent, then the error; the body fiber waits
              // here until the shim cancels it
              failure = connectionTerminated()
              onBroken()
              return Effect.never
            })
        }

        // Pulls the handler's body on demand and turns a drop into an error once everything
        // sent before it was read: a `ReadableStream` that errors discards its queue.
        const wrap = (inner: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> => {
          const reader = inner.getReader()
          const finish = () => {
            reader.cancel().then(close, close)
          }
          let controller: ReadableStreamDefaultController<Uint8Array> | undefined
          failBodyNow = (error) => {
            failure = error
            onBroken()
            try {
              controller?.error(error)
            } catch {
              // already closed
            }
            finish()
          }
          return new ReadableStream<Uint8Array>({
            start(c) {
              controller = c
            },
            async pull(c) {
              try {
                const next = await Promise.race([reader.read(), broken])
                if (next === BROKEN) {
                  c.error(failure)
                  finish()
                } else if (next.done) {
                  c.close()
                  close()
                } else {
                  c.enqueue(next.value)
                }
              } catch (error) {
                try {
                  c.error(error)
                } catch {
                  // already errored
                }
                finish()
              }
            },
            cancel(reason) {
              return reader.cancel(reason).then(close, close)
            }
          }, { highWaterMark: 0 })
        }

        const context = Context.make(Responded, () => {
          responded = true
        }).pipe(Context.add(FakeConnection, connection))

        handler(request, context).then(
          (response) => {
            if (settled) {
              // lost or aborted before the answer: nobody will read it
              if (response.body === null) close()
              else response.body.cancel().then(close, close)
              return
            }
            settled = true
            if (response.body === null) {
              close()
              return resolve(response)
            }
            resolve(
              new Response(wrap(response.body), {
                status: response.status,
                statusText: response.statusText,
                headers: response.headers
              })
            )
          },
          (error) => {
            if (!settled) {
              settled = true
              reject(error)
            }
            close()
          }
        )
      })

    return { fetch: fetch as typeof globalThis.fetch, openConnections: Effect.sync(() => open) }
  })

/** `FetchHttpClient` over the given shim. */
export const layerClientFrom = (transport: Transport): Layer.Layer<HttpClient.HttpClient> =>
  FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, transport.fetch)))

/**
 * An `HttpClient` reaching the `FakeServer` in memory; built on the runtime that builds the
 * layer, so the server's sleeps follow that runtime's clock (a test's `TestClock`).
 */
export const layerClient: Layer.Layer<HttpClient.HttpClient, never, FakeServer> = Layer.unwrapEffect(
  Effect.map(Effect.flatMap(FakeServer, make), layerClientFrom)
)
