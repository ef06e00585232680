/**
 * The fake server on 127.0.0.1: a `node:http` server of our own, whose sockets are counted
 * (`openConnections`) and destroyed to lose a connection, handing each request to the fake
 * server's app as a web `Request` (`HttpApp.toWebHandlerRuntime`). For tests of a real
 * transport (undici): connection reuse, socket closing, benchmarks; and, with `start`, for
 * Promise code (vitest, jest, node:test) that does not use Effect. Node only (reached from
 * `aleph-alpha-client/testing/node`).
 */
import * as HttpApp from "@effect/platform/HttpApp"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import type * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as NodeHttp from "node:http"
import type * as Net from "node:net"
import { ValidationError } from "../../errors/AlephAlphaError.js"
import { validationErrorFromThrow } from "../../schema/internal/thrown.js"
import { copyOptions } from "../../schema/internal/untypedInput.js"
import * as UndiciHttpClient from "../../node/UndiciHttpClient.js"
import { Client, type Families } from "../../services/Client.js"
import * as AlephAlphaTest from "../AlephAlphaTest.js"
import { clientOptions } from "../internal/retryWait.js"
import { FakeConnection, type Service as ConnectionService } from "../FakeConnection.js"
import * as FakeServer from "../FakeServer.js"
import type * as Fault from "../Fault.js"

/** A fake server listening on 127.0.0.1. */
export interface LoopbackServer {
  /** The server's origin, e.g. `"http://127.0.0.1:39215"`; every route is served under it and under `/v1`. */
  readonly url: string
  readonly port: number
  /** TCP connections currently open to the server. */
  readonly openConnections: Effect.Effect<number>
  /** Destroys every open connection (as a crashed proxy would) and waits until they are closed. */
  readonly destroyConnections: Effect.Effect<void>
}

/** Where to listen. */
export interface ListenOptions {
  /** The port on 127.0.0.1. Default: 0, any free port. */
  readonly port?: number | undefined
}

/**
 * Serves the current `FakeServer` on 127.0.0.1 until the scope closes; closing it also
 * destroys the connections still open, so nothing keeps the process alive.
 */
export const listen = (options: ListenOptions = {}): Effect.Effect<LoopbackServer, never, FakeServer.FakeServer | Scope.Scope> =>
  Effect.gen(function*() {
    const fake = yield* FakeServer.FakeServer
    // the app reads its FakeConnection from the context each request brings
    const runtime = yield* Effect.runtime<never>() as Effect.Effect<Runtime.Runtime<FakeConnection>>
    const handler = HttpApp.toWebHandlerRuntime(runtime)(fake.app)

    const sockets = new Set<Net.Socket>()
    // a dropped connection stops counting when its drop starts: the client sees the end of it
    // (and may open another) before the socket's own "close" comes
    const closing = (socket: Net.Socket) => void sockets.delete(socket)
    const http = NodeHttp.createServer((incoming, outgoing) => serve(handler, incoming, outgoing, closing))
    http.on("connection", (socket: Net.Socket) => {
      sockets.add(socket)
      socket.once("close", () => sockets.delete(socket))
    })
    // resumes once every socket has closed, so `openConnections` is 0 afterwards
    const destroyConnections = Effect.async<void>((resume) => {
      let pending = sockets.size
      if (pending === 0) return resume(Effect.void)
      for (const socket of sockets) {
        socket.once("close", () => {
          if (--pending === 0) resume(Effect.void)
        })
        socket.destroy()
      }
    })

    yield* Effect.acquireRelease(
      // a port that is taken or out of range is a defect, not a wait for a "listening" that never comes
      Effect.async<void>((resume) => {
        const failed = (error: Error) => resume(Effect.die(error))
        http.once("error", failed)
        try {
          http.listen(options.port ?? 0, "127.0.0.1", () => {
            http.off("error", failed)
            resume(Effect.void)
          })
        } catch (error) {
          resume(Effect.die(error))
        }
      }),
      // destroys the connections first: `close()` waits for open ones, and a stalled answer
      // would keep one open forever
      () => Effect.zipRight(destroyConnections, Effect.async<void>((resume) => void http.close(() => resume(Effect.void))))
    )

    const port = (http.address() as Net.AddressInfo).port
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      openConnections: Effect.sync(() => sockets.size),
      destroyConnections
    }
  })

type Handler = (request: Request, context?: Context.Context<never>) => Promise<Response>

/** Answers one request: the body read whole, the app's answer streamed back as it comes. */
const serve = (
  handler: Handler,
  incoming: NodeHttp.IncomingMessage,
  outgoing: NodeHttp.ServerResponse,
  closing: (socket: Net.Socket) => void
): void => {
  const socket = incoming.socket
  const connection: ConnectionService = {
    drop: () =>
      Effect.async<never>((resume) => {
        if (socket.destroyed) return resume(Effect.interrupt)
        socket.once("close", () => resume(Effect.interrupt))
        // The answer's bytes read before the drop are written in the promise jobs that follow
        // (see `respond`), so the drop waits for them to run (`setImmediate`); `destroy()`
        // would discard unsent data: `destroySoon()` flushes what was written (headers, part
        // of the body), then closes the socket, so the client sees the partial answer and
        // then the lost connection
        setImmediate(() => {
          closing(socket)
          socket.destroySoon()
        })
      })
  }
  // a client that lets go (or a dropped socket) interrupts the app
  const abort = new AbortController()
  outgoing.once("close", () => abort.abort())
  const chunks: Array<Buffer> = []
  incoming.on("data", (chunk: Buffer) => chunks.push(chunk))
  incoming.once("error", () => outgoing.destroy())
  incoming.once("end", () => {
    const headers = new Headers()
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (Array.isArray(value)) for (const item of value) headers.append(name, item)
      else if (value !== undefined) headers.set(name, value)
    }
    const method = incoming.method ?? "GET"
    const request = new Request(`http://127.0.0.1${incoming.url ?? "/"}`, {
      method,
      headers,
      signal: abort.signal,
      ...(method === "GET" || method === "HEAD" ? {} : { body: Buffer.concat(chunks) })
    })
    handler(request, Context.make(FakeConnection, connection) as Context.Context<never>).then(
      (response) => respond(response, outgoing),
      () => outgoing.destroy()
    )
  })
}

const respond = async (response: Response, outgoing: NodeHttp.ServerResponse): Promise<void> => {
  if (outgoing.destroyed) return void response.body?.cancel().catch(ignore)
  const headers: Record<string, string | Array<string>> = {}
  response.headers.forEach((value, name) => {
    headers[name] = name === "set-cookie" ? response.headers.getSetCookie() : value
  })
  outgoing.writeHead(response.status, headers)
  outgoing.flushHeaders()
  if (response.body === null) return void outgoing.end()
  const reader = response.body.getReader()
  outgoing.once("close", () => reader.cancel().catch(ignore))
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return void outgoing.end()
      if (outgoing.destroyed) return
      // waits for the socket to drain, so a slow client slows the answer down
      if (!outgoing.write(value)) await new Promise((resolve) => outgoing.once("drain", resolve))
    }
  } catch {
    outgoing.destroy()
  }
}

const ignore = () => {}

/** The loopback server of the current `FakeServer` as a service. */
export class Loopback extends Context.Tag("aleph-alpha-client/testing/Loopback")<Loopback, LoopbackServer>() {}

/** Listens while the layer is alive. */
export const layer = (options: ListenOptions = {}): Layer.Layer<Loopback, never, FakeServer.FakeServer> =>
  Layer.scoped(Loopback, listen(options))

/**
 * `Client` and every family over the fake server on 127.0.0.1, through the undici transport,
 * plus the `FakeServer` and `Loopback` services: for tests about real connections.
 */
export const layerClient = (
  options: AlephAlphaTest.Options & { readonly connectionLimit?: number | undefined } = {}
): Layer.Layer<Client | Families | FakeServer.FakeServer | Loopback, ValidationError> => {
  const client = Layer.unwrapEffect(
    Effect.map(Loopback, (server) =>
      Client.layer({ token: AlephAlphaTest.token, host: `${server.url}/v1`, ...clientOptions(options) }).pipe(
        // straight to 127.0.0.1, whatever proxy the environment names
        Layer.provide(UndiciHttpClient.layer({ connectionLimit: options.connectionLimit, proxy: false }))
      ))
  )
  return client.pipe(
    Layer.provideMerge(layer()),
    Layer.provideMerge(FakeServer.layer(options.server))
  )
}

/** Options of {@link start}: how the fake server behaves and where it listens. */
export interface StartOptions extends FakeServer.Options, ListenOptions {}

/**
 * A fake server on 127.0.0.1 for Promise code: point a client at `url`, script faults, read
 * what it received. `close()` (or `await using`) stops it.
 */
export interface RunningServer {
  /** The server's origin, e.g. `"http://127.0.0.1:39215"`; every route is served under it and under `/v1`. */
  readonly url: string
  readonly port: number
  /** Queues faults for the next requests (see `Fault` for which request takes which). */
  readonly script: (...faults: ReadonlyArray<Fault.Fault>) => void
  /** Every request received so far, in order of arrival. */
  readonly requests: () => ReadonlyArray<FakeServer.RecordedRequest>
  /** Replaces the latency slept before each answer; `undefined` answers at once. */
  readonly setLatency: (latency: Duration.DurationInput | undefined) => void
  /** Drops queued faults and recorded requests and restores the configured latency. */
  readonly reset: () => void
  /** TCP connections currently open to the server. */
  readonly openConnections: () => number
  /**
   * Stops listening, destroying the connections still open (a stalled answer ends as a lost
   * connection); resolves once the port is free. Calling it again does nothing.
   */
  readonly close: () => Promise<void>
  /** `close()`, for `await using server = await Loopback.start()`. */
  readonly [Symbol.asyncDispose]: () => Promise<void>
}

const subject = "Loopback.start options"

/**
 * Starts a fresh fake server on 127.0.0.1, without Effect:
 *
 * ```ts
 * await using server = await Loopback.start()
 * const client = new AsyncClient({ token: "test", host: server.url })
 * server.script(Fault.Status({ status: 503, path: "complete" }))
 * ```
 *
 * Its latency and stalls run on the real clock. It rejects with a `ValidationError` for bad
 * options (a port not in 0–65535) and with Node's error when it cannot listen (`EADDRINUSE`).
 */
export const start = async (options: StartOptions = {}): Promise<RunningServer> => {
  const copied = copyOptions(options, subject)
  if (Either.isLeft(copied)) throw copied.left
  const { port } = copied.right
  if (port !== undefined && !(typeof port === "number" && Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new ValidationError({ path: "port", issue: `expected an integer from 0 to 65535, got ${String(port)}`, subject })
  }
  // models that are not a list, say, make the server's construction throw
  const made = Effect.runSyncExit(FakeServer.make(copied.right as StartOptions))
  if (Exit.isFailure(made)) throw validationErrorFromThrow(Cause.squash(made.cause), options, subject)
  const fake = made.value
  const scope = Effect.runSync(Scope.make())
  const exit = await Effect.runPromiseExit(
    listen({ port: port as number | undefined }).pipe(Effect.provideService(FakeServer.FakeServer, fake), Scope.extend(scope))
  )
  if (Exit.isFailure(exit)) {
    await Effect.runPromise(Scope.close(scope, exit))
    throw Cause.squash(exit.cause)
  }
  const server = exit.value
  let closing: Promise<void> | undefined
  const close = () => (closing ??= Effect.runPromise(Scope.close(scope, Exit.void)))
  return {
    url: server.url,
    port: server.port,
    script: (...faults) => Effect.runSync(fake.script(...faults)),
    requests: () => Effect.runSync(fake.requests),
    setLatency: (latency) => Effect.runSync(fake.setLatency(latency)),
    reset: () => Effect.runSync(fake.reset),
    openConnections: () => Effect.runSync(server.openConnections),
    close,
    [Symbol.asyncDispose]: close
  }
}
