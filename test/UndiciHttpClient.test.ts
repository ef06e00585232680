import { HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Fiber, Stream } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { UndiciHttpClient } from "../src/node/index.js"

/** A loopback server for one test; `handle` answers every request. */
const server = (handle: (request: http.IncomingMessage, body: string, response: http.ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly closed: Promise<void> }>((resume) => {
      let requestClosed: () => void = () => {}
      const closed = new Promise<void>((resolve) => requestClosed = resolve)
      const s = http.createServer((request, response) => {
        const parts: Array<Buffer> = []
        request.on("data", (part: Buffer) => parts.push(part))
        request.on("end", () => handle(request, Buffer.concat(parts).toString("utf8"), response))
        response.on("close", () => requestClosed())
      })
      s.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed(Object.assign(s, {
          url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
          closed
        }))))
    }),
    (s) =>
      Effect.promise(() =>
        new Promise<void>((resolve) => {
          ;(s as unknown as http.Server).closeAllConnections()
          ;(s as unknown as http.Server).close(() => resolve())
        })
      )
  )

const transport = UndiciHttpClient.layer()

describe("the undici transport as a platform HttpClient", () => {
  it.scopedLive("reads a body once: every read of text gives the same text, json parses it", () =>
    Effect.gen(function*() {
      const { url } = yield* server((_, __, response) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.end("{\"apples\":3}")
      })
      const client = yield* HttpClient.HttpClient
      const response = yield* client.get(url)
      expect(response.status).toBe(200)
      expect(yield* response.text).toBe("{\"apples\":3}")
      expect(yield* response.text).toBe("{\"apples\":3}")
      expect(yield* response.json).toEqual({ apples: 3 })
      const bytes = yield* Effect.flatMap(client.get(url), (r) => r.arrayBuffer)
      expect(new TextDecoder().decode(bytes)).toBe("{\"apples\":3}")
    }).pipe(Effect.provide(transport)))

  it.scopedLive("sends the method, the headers and text, byte and stream bodies", () =>
    Effect.gen(function*() {
      const { url } = yield* server((request, body, response) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.end(JSON.stringify({ method: request.method, path: request.url, header: request.headers["x-apple"], body }))
      })
      const client = yield* HttpClient.HttpClient
      const echo = (request: HttpClientRequest.HttpClientRequest) =>
        Effect.flatMap(client.execute(request), (response) => response.json)
      expect(
        yield* echo(HttpClientRequest.post(`${url}/a?b=c`).pipe(
          HttpClientRequest.setHeader("x-apple", "red"),
          HttpClientRequest.bodyText("one", "text/plain")
        ))
      ).toEqual({ method: "POST", path: "/a?b=c", header: "red", body: "one" })
      expect(
        yield* echo(HttpClientRequest.put(url).pipe(HttpClientRequest.bodyUint8Array(new TextEncoder().encode("two"))))
      ).toMatchObject({ method: "PUT", body: "two" })
      const stream = Stream.make("th", "ree").pipe(Stream.encodeText)
      expect(
        yield* echo(HttpClientRequest.post(url).pipe(HttpClientRequest.setBody(HttpBody.stream(stream))))
      ).toMatchObject({ body: "three" })
    }).pipe(Effect.provide(transport)))

  it.scopedLive("gives the status, the headers and the cookies of an answer", () =>
    Effect.gen(function*() {
      const { url } = yield* server((_, __, response) => {
        response.writeHead(429, { "retry-after": "2", "set-cookie": ["a=1", "b=2"] })
        response.end("slow down")
      })
      const response = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(url))
      expect(response.status).toBe(429)
      expect(response.headers["retry-after"]).toBe("2")
      expect(Object.keys(response.cookies.cookies).sort()).toEqual(["a", "b"])
      expect(yield* response.text).toBe("slow down")
    }).pipe(Effect.provide(transport)))

  it.scopedLive("streams a body as it arrives", () =>
    Effect.gen(function*() {
      const { url } = yield* server((_, __, response) => {
        response.writeHead(200, { "content-type": "text/event-stream" })
        response.write("data: 1\n\n")
        setTimeout(() => response.end("data: 2\n\n"), 20)
      })
      const response = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(url))
      const text = yield* response.stream.pipe(Stream.decodeText(), Stream.runCollect)
      expect(Chunk.join(text, "")).toBe("data: 1\n\ndata: 2\n\n")
    }).pipe(Effect.provide(transport)))

  it.scopedLive("a refused connection is a RequestError, a body cut off is a ResponseError", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      // a port that was just free: nothing listens on it
      const { url: gone } = yield* Effect.scoped(server(() => {}))
      const refused = yield* Effect.flip(client.get(gone))
      expect(refused).toMatchObject({ _tag: "RequestError", reason: "Transport" })

      const { url } = yield* server((_, __, response) => {
        response.writeHead(200, { "content-length": "100" })
        response.write("partial")
        setTimeout(() => response.destroy(), 10)
      })
      const response = yield* client.get(url)
      const cut = yield* Effect.either(response.text)
      expect(Either.isLeft(cut) && cut.left).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
    }).pipe(Effect.provide(transport)))

  it.scopedLive("interrupting a request closes it", () =>
    Effect.gen(function*() {
      const { closed, url } = yield* server(() => {}) // never answers
      const client = yield* HttpClient.HttpClient
      const fiber = yield* Effect.fork(client.get(url))
      yield* Effect.sleep("50 millis")
      yield* Fiber.interrupt(fiber)
      yield* Effect.promise(() => closed)
    }).pipe(Effect.provide(transport)))
})
