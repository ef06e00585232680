/**
 * Bounded answers: a plain call reads at most `maxResponseSize` bytes of an answer. A server
 * that sends more (chunked) or declares more (`Content-Length`) makes the call fail at once
 * with a `DecodeError` naming the limit, not retried, its connection closed; an answer of
 * exactly the limit is read. An error body is read only as far as the error keeps it. On the
 * undici transport, the fetch transport and `AsyncClient`.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Redacted } from "effect"
import * as http from "node:http"
import type { AlephAlphaError, ClientService } from "../../src/index.js"
import {
  AlephAlphaHttp,
  ChatRequest,
  Client,
  DecodeError,
  Message,
  retrySchedule,
  ServerError,
  ValidationError
} from "../../src/index.js"
// the build Node loads ("node" export condition), whose AsyncClient has the undici transport
import { AsyncClient } from "../../src/index.node.js"
import { failureOf, listenOnLoopback, type OwnServer, valueOf } from "./harness.js"
import { UndiciHttpClient } from "../../src/node/index.js"

const limit = 1024 * 1024
/** What an oversized answer would send in all: far more than the limit and the socket buffers. */
const oversized = 32 * 1024 * 1024
/** Bytes a server may get into socket buffers (both kernels' and Node's) beyond what the client read. */
const bufferSlack = 16 * 1024 * 1024
const block = 64 * 1024

const token = Redacted.make("tok-bounded-answers")

// ---------------------------------------------------------------------------------------------
// the server

interface Served {
  readonly scenario: string
  readonly method: string
  /** Body bytes handed to the socket. */
  written: number
  /** Whether the whole answer was written. */
  finished: boolean
  /** Resolves when the request's connection has closed. */
  readonly closed: Promise<void>
}

const served: Array<Served> = []
let server: OwnServer
let base = ""

const chatHead = "{\"id\":\"c\",\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\""
const chatTail = "\"}}],\"created\":1,\"model\":\"m\",\"object\":\"chat.completion\"}"

const unicode = "Grüße, 東京 🍎 — ½"

/** A chat answer of exactly `size` bytes. */
const chatAnswer = (size: number) =>
  chatHead + "a".repeat(Math.max(0, size - chatHead.length - chatTail.length)) + chatTail

/** Writes `total` bytes (`head`, filler, `tail`) a block at a time, waiting for the socket to drain. */
const pump = (response: http.ServerResponse, record: Served, total: number, head = "", tail = "") => {
  let left = total - head.length - tail.length
  const write = (text: string) => {
    record.written += text.length
    return response.write(text)
  }
  write(head)
  const go = () => {
    while (left > 0 && !response.destroyed) {
      const n = Math.min(block, left)
      left -= n
      if (!write("a".repeat(n))) return void response.once("drain", go)
    }
    if (!response.destroyed) {
      write(tail)
      response.end(() => record.finished = true)
    }
  }
  go()
}

beforeAll(async () => {
  server = await listenOnLoopback(http.createServer((request, response) => {
    const scenario = (request.url ?? "").split("/")[1] ?? ""
    const socket = request.socket
    const record: Served = {
      scenario,
      method: request.method ?? "",
      written: 0,
      finished: false,
      closed: new Promise((resolve) => socket.once("close", () => resolve()))
    }
    served.push(record)
    request.resume()
    request.on("end", () => {
      switch (scenario) {
        case "oversized":
          response.writeHead(200, { "content-type": "application/json" })
          return pump(response, record, oversized, chatHead, chatTail)
        case "declared":
          // declares more than the limit, sends a little and waits: a client reading on would hang
          response.writeHead(200, { "content-type": "application/json", "content-length": String(oversized) })
          response.write(chatHead)
          record.written += chatHead.length
          return
        case "exact":
          response.writeHead(200, { "content-type": "application/json" })
          return pump(response, record, limit, chatHead, chatTail)
        case "exact-declared": {
          const answer = chatAnswer(limit)
          response.writeHead(200, { "content-type": "application/json", "content-length": String(answer.length) })
          record.written += answer.length
          return response.end(answer, () => record.finished = true)
        }
        case "split": {
          // one byte per chunk, the writes a turn of the event loop apart: characters are split
          const bytes = Buffer.from(chatAnswer(0).replace(chatTail, `${unicode}${chatTail}`))
          response.writeHead(200, { "content-type": "application/json" })
          let i = 0
          const next = () => {
            if (response.destroyed) return
            if (i === bytes.length) return void response.end(() => record.finished = true)
            record.written++
            response.write(bytes.subarray(i, ++i))
            setImmediate(next)
          }
          return next()
        }
        case "error":
          response.writeHead(500, { "content-type": "text/html" })
          return pump(response, record, oversized, "<html>")
        default:
          response.writeHead(404).end()
      }
    })
  }))
  base = server.url
})

afterAll(() => server.close())

beforeEach(() => {
  served.length = 0
})

const servedFor = (scenario: string) => served.filter((record) => record.scenario === scenario)

// ---------------------------------------------------------------------------------------------
// the clients

/** A `fetch` that counts the body bytes the client pulled. */
const countingFetch = () => {
  const pulled: Array<number> = []
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await globalThis.fetch(input, init)
    if (response.body === null) return response
    const index = pulled.push(0) - 1
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform: (chunk, controller) => {
          pulled[index]! += chunk.length
          controller.enqueue(chunk)
        }
      })
    )
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  return { fetch, pulled }
}

interface Transport {
  readonly name: string
  readonly layer: () => { readonly layer: Layer.Layer<HttpClient.HttpClient, unknown>; readonly pulled?: Array<number> }
}

const transports: ReadonlyArray<Transport> = [
  { name: "undici", layer: () => ({ layer: UndiciHttpClient.layer() }) },
  {
    name: "fetch",
    layer: () => {
      const { fetch, pulled } = countingFetch()
      return {
        layer: FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch))),
        pulled
      }
    }
  }
]

const chatRequest = new ChatRequest({ model: "m", messages: [new Message({ role: "user", content: "Hi" })] })

const options = (scenario: string) => ({
  token,
  host: `${base}/${scenario}`,
  maxResponseSize: limit,
  // retried at once, so a retry would show in the count without slowing the test
  retrySchedule: retrySchedule({ totalRetries: 3, initialDelay: "1 millis" }),
  requestTimeout: "20 seconds" as const
})

const withClient = <A, E>(
  transport: Layer.Layer<HttpClient.HttpClient, unknown>,
  scenario: string,
  use: (client: ClientService) => Effect.Effect<A, E>
) =>
  Effect.scoped(Effect.gen(function*() {
    const context = yield* Effect.orDie(Layer.build(Client.layer(options(scenario)).pipe(Layer.provide(transport))))
    return yield* use(Context.get(context, Client))
  }))

const expectTooLarge = (error: unknown) => {
  expect(error).toBeInstanceOf(DecodeError)
  expect((error as DecodeError).message).toContain("maxResponseSize")
  expect((error as DecodeError).message).toContain(`${limit} bytes`)
}

// ---------------------------------------------------------------------------------------------

describe.each(transports)("on the $name transport", ({ layer }) => {
  it.live("a chunked answer past maxResponseSize fails at once with a DecodeError naming the limit, not retried, its connection closed", () =>
    Effect.gen(function*() {
      const { layer: transport, pulled } = layer()
      const exit = yield* withClient(transport, "oversized", (client) => Effect.exit(client.chat(chatRequest)))
      expectTooLarge(failureOf(exit))
      const [record, ...more] = servedFor("oversized")
      expect(more, "retries").toEqual([])
      yield* Effect.promise(() => record!.closed)
      expect(record!.finished).toBe(false)
      expect(record!.written).toBeLessThan(limit + bufferSlack)
      // the fetch transport shows what the client pulled: the limit, and the few blocks of the
      // crossing read and the stream's read-ahead
      if (pulled !== undefined) expect(pulled[0]).toBeLessThanOrEqual(limit + 4 * block)
    }))

  it.live("a GET past maxResponseSize fails the same way, also getVersion, which takes its answer as text", () =>
    Effect.gen(function*() {
      const calls: ReadonlyArray<(client: ClientService) => Effect.Effect<unknown, AlephAlphaError>> = [
        (client) => client.models(),
        (client) => client.getVersion()
      ]
      for (const call of calls) {
        served.length = 0
        const exit = yield* withClient(layer().layer, "oversized", (client) => Effect.exit(call(client)))
        expectTooLarge(failureOf(exit))
        const records = servedFor("oversized")
        expect(records.map((record) => record.method)).toEqual(["GET"])
        yield* Effect.promise(() => records[0]!.closed)
      }
    }))

  it.live("a Content-Length above maxResponseSize fails before the body is read", () =>
    Effect.gen(function*() {
      const { layer: transport, pulled } = layer()
      const exit = yield* withClient(transport, "declared", (client) => Effect.exit(client.chat(chatRequest)))
      const error = failureOf(exit)
      expectTooLarge(error)
      expect((error as DecodeError).message).toContain(`declares ${oversized} bytes`)
      const [record, ...more] = servedFor("declared")
      expect(more, "retries").toEqual([])
      yield* Effect.promise(() => record!.closed)
      if (pulled !== undefined) expect(pulled[0]).toBeLessThanOrEqual(chatHead.length)
    }))

  it.live("an answer of exactly maxResponseSize bytes is read, chunked or with its length declared", () =>
    Effect.gen(function*() {
      for (const scenario of ["exact", "exact-declared"]) {
        const exit = yield* withClient(layer().layer, scenario, (client) => Effect.exit(client.chat(chatRequest)))
        const response = valueOf(exit)
        expect(response.message.text.length).toBe(limit - chatHead.length - chatTail.length)
        expect(servedFor(scenario).map((record) => record.finished)).toEqual([true])
      }
    }))

  it.live("an answer in many chunks, split inside characters, is decoded whole", () =>
    Effect.gen(function*() {
      const exit = yield* withClient(layer().layer, "split", (client) => Effect.exit(client.chat(chatRequest)))
      expect(valueOf(exit).message.text).toBe(unicode)
    }))

  it.live("a huge error body is read only as far as the error keeps it: the status error, its text cut", () =>
    Effect.gen(function*() {
      const { layer: transport, pulled } = layer()
      const exit = yield* withClient(transport, "error", (client) => Effect.exit(client.chat(chatRequest)))
      const error = failureOf(exit)
      expect(error).toBeInstanceOf(ServerError)
      expect((error as ServerError).status).toBe(500)
      expect((error as ServerError).error.startsWith("<html>aaaa")).toBe(true)
      expect((error as ServerError).error.length).toBeLessThanOrEqual(4097)
      // a 500 is retried: every attempt stopped reading early and closed its connection
      const records = servedFor("error")
      expect(records.length).toBe(4)
      for (const record of records) {
        yield* Effect.promise(() => record.closed)
        expect(record.finished).toBe(false)
        expect(record.written).toBeLessThan(limit + bufferSlack)
      }
      if (pulled !== undefined) for (const bytes of pulled) expect(bytes).toBeLessThanOrEqual(64 * 1024 + 4 * block)
    }))
})

describe("AsyncClient", () => {
  it.live("rejects an answer past maxResponseSize with the DecodeError, not retried, and reads one of exactly the limit", () =>
    Effect.gen(function*() {
      for (const transport of ["undici", countingFetch().fetch] as const) {
        served.length = 0
        const oversizedClient = new AsyncClient({ ...options("oversized"), transport })
        const error = yield* Effect.promise(() => oversizedClient.chat(chatRequest).then(() => undefined, (e: unknown) => e))
        expectTooLarge(error)
        expect(servedFor("oversized").length).toBe(1)
        yield* Effect.promise(() => servedFor("oversized")[0]!.closed)
        yield* Effect.promise(() => oversizedClient.close())

        const exactClient = new AsyncClient({ ...options("exact"), transport })
        const response = yield* Effect.promise(() => exactClient.chat(chatRequest))
        expect(response.message.text.length).toBe(limit - chatHead.length - chatTail.length)
        yield* Effect.promise(() => exactClient.close())
      }
    }))

  it("takes maxResponseSize as an option and refuses a bad one when it is made", () => {
    for (const maxResponseSize of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new AsyncClient({ token: "t", maxResponseSize })).toThrow(ValidationError)
    }
  })
})

describe("maxResponseSize", () => {
  it.effect("is a positive integer number of bytes, 64 MiB by default", () =>
    Effect.gen(function*() {
      const resolved = yield* AlephAlphaHttp.resolveOptions({ token })
      expect(resolved.maxResponseSize).toBe(64 * 1024 * 1024)
      for (const maxResponseSize of [0, -1, 1.5, Number.NaN]) {
        const exit = yield* Effect.exit(AlephAlphaHttp.resolveOptions({ token, maxResponseSize }))
        expect(Exit.isFailure(exit)).toBe(true)
        const error = failureOf(exit as Exit.Exit<never, ValidationError>)
        expect(error).toBeInstanceOf(ValidationError)
        expect((error as ValidationError).path).toBe("maxResponseSize")
      }
    }))
})
