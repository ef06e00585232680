/**
 * `Image.fromUrl` against a third-party host that answers slowly, hugely or with something
 * that is not an image: a `MediaError` within a bound, the token never sent there (even by a
 * client that adds it to every request), and every connection to the host closed afterwards.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { Image } from "../../src/index.js"
import { failureOf, observed, SECRET, settle, valueOf } from "./harness.js"
import { UndiciHttpClient } from "../../src/node/index.js"

// a 1×1 GIF
const gif = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64")

interface Received {
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
}

let host: http.Server
let baseUrl = ""
const received: Array<Received> = []
const sockets = new Set<Socket>()

beforeAll(async () => {
  host = http.createServer((request, response) => {
    received.push({ url: request.url ?? "", headers: request.headers })
    switch (request.url) {
      case "/image.gif":
        response.writeHead(200, { "content-type": "image/gif" }).end(gif)
        return
      case "/slow-headers":
        return // never answers
      case "/slow-body":
        response.writeHead(200, { "content-type": "image/gif" }).write(gif.subarray(0, 8))
        return // never finishes
      case "/huge":
        response.writeHead(200, { "content-type": "image/gif", "content-length": String(100 * 1024 * 1024) })
          .write(gif.subarray(0, 8))
        return
      case "/huge-chunked": {
        response.writeHead(200, { "content-type": "image/gif" })
        const block = Buffer.alloc(64 * 1024, 0x47)
        const pump = () => {
          while (!response.destroyed && response.write(block)) { /* fill the buffer */ }
          if (!response.destroyed) response.once("drain", pump)
        }
        pump()
        return
      }
      case "/not-an-image":
        response.writeHead(200, { "content-type": "text/html" }).end("<html><body>Sorry</body></html>")
        return
      case "/redirect":
        response.writeHead(302, { location: "/not-an-image" }).end()
        return
      default:
        response.writeHead(404).end()
    }
  })
  host.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve))
  baseUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => host.close(() => resolve()))
})

/** The undici transport, wrapped the way a careless user might: it adds the API token to every request. */
const credentialedClient = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(
    HttpClient.HttpClient,
    HttpClient.mapRequest(HttpClientRequest.bearerToken(SECRET))
  )
).pipe(Layer.provide(UndiciHttpClient.layer({ connectionLimit: 4 })))

const cases: ReadonlyArray<readonly [path: string, message: RegExp, minMillis: number]> = [
  ["/slow-headers", /Timed out/, 290],
  ["/slow-body", /Timed out/, 290],
  ["/huge", /larger than the limit/, 0],
  ["/huge-chunked", /larger than the limit/, 0],
  ["/not-an-image", /Not an image/i, 0],
  ["/redirect", /Not an image/i, 0]
]

describe("Image.fromUrl on a hostile host", () => {
  it.live("slow, huge or not an image: MediaError within its bound, the token never sent, every connection closed", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const client = Context.get(yield* Layer.buildWithScope(credentialedClient, scope), HttpClient.HttpClient)
        const load = (path: string) =>
          Image.fromUrl(`${baseUrl}${path}`, [], { timeout: "300 millis", maxBytes: 256 * 1024 }).pipe(
            Effect.provideService(HttpClient.HttpClient, client)
          )
        const before = received.length

        // the same client loads a real image
        const image = valueOf(yield* Effect.exit(load("/image.gif")))
        expect(image.base64).toBe(gif.toString("base64"))

        for (const [path, message, minMillis] of cases) {
          const start = Date.now()
          const exit = yield* Effect.exit(load(path))
          const elapsed = Date.now() - start
          yield* observer.outcome(exit)
          const error = failureOf(exit)
          expect(error._tag, path).toBe("MediaError")
          expect(error.message, path).toMatch(message)
          expect((error as { source?: string }).source).toBe(`${baseUrl}${path}`)
          expect(elapsed, path).toBeGreaterThanOrEqual(minMillis)
          expect(elapsed, path).toBeLessThan(3_000)
        }

        const requests = received.slice(before)
        expect(requests.map((request) => request.url)).toEqual([
          "/image.gif",
          ...cases.map(([path]) => path),
          "/not-an-image"
        ])
        for (const request of requests) {
          expect(request.headers.authorization).toBeUndefined()
          expect(JSON.stringify(request)).not.toContain(SECRET)
        }

        yield* Scope.close(scope, Exit.void)
        expect(yield* settle(Effect.sync(() => sockets.size))).toBe(0)
      })
    ))
})
