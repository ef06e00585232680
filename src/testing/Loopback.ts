/**
 * The fake server on 127.0.0.1: `NodeHttpServer` over an `http.Server` of our own, whose
 * sockets are counted (`openConnections`) and destroyed to lose a connection. For tests of a
 * real transport (undici): connection reuse, socket closing, benchmarks.
 *
 * Node-only code (`node:http`, `@effect/platform-node`) is imported when `listen` runs, so
 * importing this module costs nothing on other platforms.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Net from "node:net"
import { FakeConnection, type Service as ConnectionService } from "./FakeConnection.js"
import { FakeServer } from "./FakeServer.js"

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
export const listen = (options: ListenOptions = {}): Effect.Effect<LoopbackServer, never, FakeServer | Scope.Scope> =>
  Effect.gen(function*() {
    const fake = yield* FakeServer
    const [NodeHttp, NodeHttpServer, NodeHttpServerRequest] = yield* Effect.promise(() =>
      Promise.all([
        import("node:http"),
        import("@effect/platform-node/NodeHttpServer"),
        import("@effect/platform-node/NodeHttpServerRequest")
      ])
    )

    const sockets = new Set<Net.Socket>()
    const http = NodeHttp.createServer()
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

    const server = yield* Effect.orDie(
      NodeHttpServer.make(() => http, { port: options.port ?? 0, host: "127.0.0.1" })
    )
    // added after the server, so it runs before the server's own finalizer: `server.close()`
    // waits for open connections, and a stalled answer would keep one open forever
    yield* Effect.addFinalizer(() => destroyConnections)

    const connection: ConnectionService = {
      drop: (request) =>
        Effect.async<never>((resume) => {
          const socket = NodeHttpServerRequest.toIncomingMessage(request).socket
          if (socket.destroyed) return resume(Effect.interrupt)
          socket.once("close", () => resume(Effect.interrupt))
          // Node corks response writes until the next tick and `destroy()` discards unsent
          // data: `destroySoon()` flushes what was written (headers, part of the body), then
          // closes the socket, so the client sees the partial answer and then the lost connection
          socket.destroySoon()
        })
    }
    yield* server.serve(Effect.provideService(fake.app, FakeConnection, connection))

    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      openConnections: Effect.sync(() => sockets.size),
      destroyConnections
    }
  })

/** The loopback server of the current `FakeServer` as a service. */
export class Loopback extends Context.Tag("aleph-alpha-client/testing/Loopback")<Loopback, LoopbackServer>() {}

/** Listens while the layer is alive. */
export const layer = (options: ListenOptions = {}): Layer.Layer<Loopback, never, FakeServer> =>
  Layer.scoped(Loopback, listen(options))
