/**
 * The direct send (issue 21): over `UndiciHttpClient`'s own client the transport sends through
 * undici itself, not `HttpClient.execute`. It must behave as the platform's path does — the
 * same requests on the wire, the same errors, connections closed on interruption and timeouts —
 * while any other client, even one wrapping ours, keeps the platform's path.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Layer, ManagedRuntime, Option, Redacted, Stream, type Tracer } from "effect"
import { identity } from "effect/Function"
import {
  AlephAlphaHttp,
  type AlephAlphaHttpOptions,
  ChatRequest,
  Client,
  type ClientService,
  CompletionRequest,
  Message,
  Prompt
} from "../src/index.js"
import { UndiciHttpClient } from "../src/node/index.js"
import { userAgent } from "../src/Version.js"
import { FakeServer, Fault } from "../src/testing/index.js"
import { Loopback } from "../src/testing/node/index.js"

const token = Redacted.make("tok-direct-3b7e")
const chat = new ChatRequest({
  model: "llama-3.1-8b-instruct",
  messages: [new Message({ role: "user", content: "one two three" })],
  maximumTokens: 8
})
const completion = new CompletionRequest({ prompt: Prompt.fromText("an apple a day"), maximumTokens: 4 })

const api = ManagedRuntime.make(Loopback.layer().pipe(Layer.provideMerge(FakeServer.layer())))
const fake = <A>(f: (server: FakeServer.Service) => Effect.Effect<A>) => api.runPromise(Effect.flatMap(FakeServer.FakeServer, f))
const openConnections = () => api.runPromise(Effect.flatMap(Loopback.Loopback, (server) => server.openConnections))
let url = ""

/** Polls (real time) until `f` holds, for at most 5 s; returns the last value. */
const eventually = async <A>(get: () => Promise<A>, f: (a: A) => boolean): Promise<A> => {
  let value = await get()
  for (let i = 0; i < 100 && !f(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    value = await get()
  }
  return value
}

beforeAll(async () => {
  url = (await api.runPromise(Loopback.Loopback)).url
})
afterAll(() => api.dispose())
beforeEach(() => fake((server) => server.reset))

// ---------------------------------------------------------------------------------------------
// the transports

/** Our undici client, as the application provides it: the direct send. */
const direct = () => UndiciHttpClient.layer({ proxy: false })

/** The same undici client behind a wrapper that changes nothing: another object, the platform's path. */
const wrapped = () =>
  Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, (client) => HttpClient.mapRequest(client, identity)))
    .pipe(Layer.provide(direct()))

const transports = [["the direct send", direct], ["the platform's path", wrapped]] as const

const clientOver = (
  transport: Layer.Layer<HttpClient.HttpClient, unknown>,
  options: Partial<AlephAlphaHttpOptions> = {}
) =>
  ManagedRuntime.make(
    Client.layer({ token, host: `${url}/v1`, totalRetries: 0, ...options }).pipe(Layer.provide(transport)) as Layer.Layer<Client>
  )

type Call = (client: ClientService) => Effect.Effect<unknown, unknown>
const calls: ReadonlyArray<readonly [string, Call]> = [
  ["a plain POST", (client) => client.chat(chat)],
  ["a stream", (client) => Stream.runDrain(client.completeWithStreaming(completion, "luminous-base"))],
  ["a GET", (client) => client.models()]
]

/** Runs `call` on a client over each transport; returns the results in the order of `transports`. */
const onBothPaths = async <A>(
  options: Partial<AlephAlphaHttpOptions>,
  run: (runtime: ManagedRuntime.ManagedRuntime<Client, unknown>, client: ClientService) => Promise<A>
): Promise<[A, A]> => {
  const results: Array<A> = []
  for (const [, transport] of transports) {
    const runtime = clientOver(transport(), options)
    try {
      results.push(await run(runtime, await runtime.runPromise(Client)))
    } finally {
      await runtime.dispose()
    }
  }
  return results as [A, A]
}

// ---------------------------------------------------------------------------------------------

describe("over UndiciHttpClient's own client", () => {
  it("plain calls, streams and GETs are sent without HttpClient.execute (the direct send)", async () => {
    // the client object from the layer, its platform entry points made to fail: only the direct
    // send can answer (a transport that went through execute would die here)
    const broken = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, (client) => {
        const fail = () => Effect.die("HttpClient.execute was called")
        return Object.assign(client, { execute: fail, postprocess: fail })
      })
    ).pipe(Layer.provide(direct()))
    const runtime = clientOver(broken)
    try {
      const client = await runtime.runPromise(Client)
      for (const [what, call] of calls) {
        const exit = await runtime.runPromiseExit(call(client))
        expect(Exit.isSuccess(exit), `${what}: ${exit}`).toBe(true)
      }
    } finally {
      await runtime.dispose()
    }
  })

  it("a client wrapping ours keeps the platform's path: the wrapper's changes to each request are sent", async () => {
    const marked = Layer.effect(
      HttpClient.HttpClient,
      Effect.map(HttpClient.HttpClient, (client) => HttpClient.mapRequest(client, HttpClientRequest.setHeader("x-wrapper", "yes")))
    ).pipe(Layer.provide(direct()))
    const runtime = clientOver(marked)
    try {
      const client = await runtime.runPromise(Client)
      for (const [, call] of calls) await runtime.runPromise(call(client))
    } finally {
      await runtime.dispose()
    }
    const requests = await fake((server) => server.requests)
    expect(requests.map((request) => request.headers["x-wrapper"])).toEqual(["yes", "yes", "yes"])
  })

  it("interrupting a plain call while the server holds it closes its connection, before and after the headers", async () => {
    const runtime = clientOver(direct())
    try {
      const client = await runtime.runPromise(Client)
      for (const fault of [Fault.StallHeaders(), Fault.StallBody()]) {
        await fake((server) => server.reset)
        await fake((server) => server.script(fault))
        const fiber = runtime.runFork(client.chat(chat))
        expect(await eventually(openConnections, (n) => n === 1), fault._tag).toBe(1)
        expect(await eventually(() => fake((server) => server.requests), (requests) => requests.length === 1)).toHaveLength(1)
        await runtime.runPromise(Fiber.interrupt(fiber))
        expect(await eventually(openConnections, (n) => n === 0), fault._tag).toBe(0)
      }
    } finally {
      await runtime.dispose()
    }
  })

  it("requestTimeout ends a plain call whose body stalls with a RequestTimeoutError, and closes its connection", async () => {
    const runtime = clientOver(direct(), { requestTimeout: "300 millis" })
    try {
      const client = await runtime.runPromise(Client)
      await fake((server) => server.script(Fault.StallBody()))
      const exit = await runtime.runPromiseExit(client.chat(chat))
      expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ _tag: "RequestTimeoutError", origin: "client" })
      expect(await eventually(openConnections, (n) => n === 0)).toBe(0)
    } finally {
      await runtime.dispose()
    }
  })
})

describe("the direct send and the platform's path over the same undici client", () => {
  const options: Partial<AlephAlphaHttpOptions> = {
    nice: true,
    hosting: "aleph-alpha",
    tags: ["direct"],
    // names in any case; ours (user-agent, content-type) win, each header is sent once
    headers: { "X-Extra": "one", "User-Agent": "mine", "Content-Type": "text/plain" },
    requestId: () => "req-direct-1"
  }

  it("send the same requests: method, path, query, headers (each once), trace context and body", async () => {
    const recorded = await onBothPaths(options, async (runtime, client) => {
      await fake((server) => server.reset)
      const spans: Array<Tracer.Span> = []
      for (const [, call] of calls) {
        // under Effect's own tracer, in an application's span: its trace context is sent
        const span = await runtime.runPromise(
          Effect.withSpan(Effect.zipLeft(Effect.currentSpan, call(client)), "application")
        )
        spans.push(span)
      }
      // a call overriding the headers
      await runtime.runPromise(AlephAlphaHttp.withCallOptions({ headers: { "x-extra": "two" } })(client.chat(chat)))
      const requests = await fake((server) => server.requests)
      return requests.map((request, i) => {
        const span = spans[i]
        if (span !== undefined) expect(request.headers.traceparent).toBe(`00-${span.traceId}-${span.spanId}-01`)
        const { b3: _, traceparent: __, ...headers } = request.headers
        return { ...request, headers }
      })
    })
    expect(recorded[0]).toHaveLength(4)
    expect(recorded[0][0]!.headers).toMatchObject({
      "x-extra": "one",
      "x-request-id": "req-direct-1",
      "content-type": "application/json",
      authorization: `Bearer ${Redacted.value(token)}`
    })
    expect(recorded[0][0]!.headers["user-agent"]).toBe(userAgent)
    expect(recorded[0][0]!.query).toEqual({ nice: "true" })
    expect(recorded[0][2]!.headers["content-type"]).toBeUndefined()
    expect(recorded[0][3]!.headers["x-extra"]).toBe("two")
    expect(recorded[0]).toEqual(recorded[1])
  })

  const faults: ReadonlyArray<Fault.Fault> = [
    Fault.Status({ status: 503, body: { error: "Queue full", code: "QUEUE_FULL" }, retryAfter: "3" }),
    Fault.Status({ status: 400, body: "not like this" }),
    Fault.Status({ status: 404, headers: { "x-request-id": "server-7" } }),
    Fault.Status({ status: 302, headers: { location: "/v1/elsewhere" } }),
    Fault.DropBeforeHeaders(),
    Fault.DropMidBody()
  ]

  /** What a user sees of an error. */
  const shown = (exit: Exit.Exit<unknown, unknown>) => {
    if (Exit.isSuccess(exit)) return "success"
    const error = Option.getOrUndefined(Cause.failureOption(exit.cause)) as Record<string, unknown> | undefined
    if (error === undefined) return `not a failure: ${Cause.pretty(exit.cause)}`
    const retryAfter = error.retryAfter
    return {
      _tag: error._tag,
      message: error.message,
      fields: Object.fromEntries(
        ["status", "error", "code", "requestId", "location", "origin"].map((key) => [key, error[key]])
      ),
      retryAfter: Duration.isDuration(retryAfter) ? Duration.toMillis(retryAfter) : retryAfter
    }
  }

  it("fail with the same errors: statuses, request ids, Retry-After, redirects, lost connections", async () => {
    const seen = await onBothPaths(options, async (runtime, client) => {
      const errors: Array<unknown> = []
      for (const fault of faults) {
        for (const [what, call] of calls) {
          await fake((server) => server.reset)
          await fake((server) => server.script(fault))
          errors.push([fault._tag, what, shown(await runtime.runPromiseExit(call(client)))])
        }
      }
      return errors
    })
    expect(seen[0]).toHaveLength(faults.length * calls.length)
    expect(seen[0]).toContainEqual([
      "Status",
      "a plain POST",
      expect.objectContaining({
        _tag: "BusyError",
        fields: expect.objectContaining({ status: 503, code: "QUEUE_FULL", requestId: "req-direct-1" }),
        retryAfter: 3000
      })
    ])
    expect(seen[0]).toContainEqual(["DropBeforeHeaders", "a GET", expect.objectContaining({ _tag: "TransportError" })])
    expect(seen[0]).toEqual(seen[1])
  })
})
