/**
 * Paths and redirects (issue 17, point 5). A model taken into a URL path is checked and
 * percent-encoded, so it can never change the path's depth. API calls follow no redirect on
 * any transport — in memory, the platform's fetch client, undici, `AsyncClient` — a 3xx ends
 * in an `UnexpectedStatusError` carrying its status and `Location`, and nothing is sent to
 * where it points. `Image.fromUrl` still follows redirects, over the same clients.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, ManagedRuntime, Redacted, Stream } from "effect"
import * as fc from "fast-check"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import {
  Client,
  type ClientService,
  CompletionRequest,
  Image,
  Prompt,
  UnexpectedStatusError
} from "../../src/index.js"
// the build Node loads ("node" export condition), whose AsyncClient has the undici transport
import { AsyncClient } from "../../src/index.node.js"
import { AlephAlphaTest, FakeServer, Fault } from "../../src/testing/index.js"
import { UndiciHttpClient } from "../../src/node/index.js"
import { Loopback } from "../../src/testing/node/index.js"

const model = "luminous-base"
const request = new CompletionRequest({ prompt: Prompt.fromText("an apple a day"), maximumTokens: 4 })
const gif = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64")

// ---------------------------------------------------------------------------------------------
// the API: the fake server on 127.0.0.1; elsewhere: another origin, which records what reaches it

const api = ManagedRuntime.make(Loopback.layer().pipe(Layer.provideMerge(FakeServer.layer())))
const fake = <A>(f: (server: FakeServer.Service) => Effect.Effect<A>) => api.runPromise(Effect.flatMap(FakeServer.FakeServer, f))
let apiUrl = ""

const elsewhereReceived: Array<{ readonly method: string; readonly url: string; readonly authorization?: string | undefined }> = []
const elsewhere = http.createServer((req, res) => {
  elsewhereReceived.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization })
  if (req.url === "/redirect") return res.writeHead(302, { location: "/image.gif" }).end()
  if (req.url === "/image.gif") return res.writeHead(200, { "content-type": "image/gif" }).end(gif)
  // what a client that followed would have taken for the answer
  res.writeHead(200, { "content-type": "application/json" }).end(
    JSON.stringify({ model_version: "x", completions: [], num_tokens_prompt_total: 0, num_tokens_generated: 0 })
  )
})
let elsewhereUrl = ""

beforeAll(async () => {
  apiUrl = (await api.runPromise(Loopback.Loopback)).url
  await new Promise<void>((resolve) => elsewhere.listen(0, "127.0.0.1", resolve))
  elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`
})
afterAll(async () => {
  await api.dispose()
  await new Promise((resolve) => elsewhere.close(resolve))
})
beforeEach(async () => {
  await fake((server) => server.reset)
  elsewhereReceived.splice(0)
})

// ---------------------------------------------------------------------------------------------
// the transports

const token = Redacted.make("tok-9f2c71d4-api")

const clientOver = (transport: Layer.Layer<HttpClient.HttpClient, unknown>) =>
  ManagedRuntime.make(
    Layer.merge(
      Client.layer({ token, host: `${apiUrl}/v1`, totalRetries: 0 }),
      // the loaders use the same client
      transport
    ).pipe(Layer.provide(transport)) as Layer.Layer<Client | HttpClient.HttpClient>
  )

type Call = (client: ClientService) => Effect.Effect<unknown, unknown>
const calls: ReadonlyArray<readonly [string, Call]> = [
  ["a plain POST", (client) => client.complete(request, model)],
  ["a stream", (client) => Stream.runDrain(client.completeWithStreaming(request, model))],
  ["a GET", (client) => client.getVersion()]
]
const statuses = [301, 302, 303, 307, 308]

const expectRedirectError = (exit: Exit.Exit<unknown, unknown>, status: number, location: string) => {
  if (Exit.isSuccess(exit)) expect.fail(`a ${status} was followed to a success`)
  expect([...Cause.defects(exit.cause)]).toEqual([])
  const error = Cause.squash(exit.cause)
  expect(error).toBeInstanceOf(UnexpectedStatusError)
  expect(error).toMatchObject({ _tag: "UnexpectedStatusError", status, location })
  expect((error as Error).message).toContain(location)
}

describe.each([
  ["FetchHttpClient", () => FetchHttpClient.layer],
  ["undici", () => UndiciHttpClient.layer()]
] as const)("over %s, API calls follow no redirect", (_, transport) => {
  let runtime: ManagedRuntime.ManagedRuntime<Client | HttpClient.HttpClient, unknown>
  beforeAll(() => {
    runtime = clientOver(transport())
  })
  afterAll(() => runtime.dispose())

  for (const [what, call] of calls) {
    it(`${what} answered 301, 302, 303, 307 or 308 fails with an UnexpectedStatusError carrying the Location; nothing reaches it`, async () => {
      const client = await runtime.runPromise(Client)
      for (const status of statuses) {
        for (const location of [`${elsewhereUrl}/v1/complete`, "/v1/models_available"]) {
          await fake((server) => server.reset)
          await fake((server) => server.script(Fault.Status({ status, headers: { location } })))
          expectRedirectError(await runtime.runPromiseExit(call(client)), status, location)
          expect(await fake((server) => Effect.map(server.requests, (requests) => requests.length)), `${status} ${location}`).toBe(1)
        }
      }
      expect(elsewhereReceived).toEqual([])
    })
  }

  it("Image.fromUrl over the same client still follows a redirect, sending no Authorization header", async () => {
    const image = await runtime.runPromise(Image.fromUrl(`${elsewhereUrl}/redirect`))
    expect(image.base64).toBe(gif.toString("base64"))
    expect(elsewhereReceived.map((r) => r.url)).toEqual(["/redirect", "/image.gif"])
    expect(elsewhereReceived.every((r) => r.authorization === undefined)).toBe(true)
  })
})

describe("in memory, API calls follow no redirect", () => {
  const runtime = ManagedRuntime.make(AlephAlphaTest.layer({ client: { totalRetries: 0 } }))
  afterAll(() => runtime.dispose())
  const script = (fault: Fault.Fault) => runtime.runPromise(Effect.flatMap(FakeServer.FakeServer, (server) => server.script(fault)))

  it("every 3xx is an UnexpectedStatusError with its location, the token redacted from it", async () => {
    const client = await runtime.runPromise(Client)
    for (const [, call] of calls) {
      for (const status of statuses) {
        await script(Fault.Status({ status, headers: { location: "https://elsewhere.invalid/v1/complete" } }))
        expectRedirectError(await runtime.runPromiseExit(call(client)), status, "https://elsewhere.invalid/v1/complete")
      }
    }
    const secret = Redacted.value(AlephAlphaTest.token)
    await script(Fault.Status({ status: 302, headers: { location: `https://elsewhere.invalid/?token=${secret}` } }))
    const exit = await runtime.runPromiseExit(client.getVersion())
    const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) as UnexpectedStatusError : undefined
    expect(error?.location).toMatch(/^https:\/\/elsewhere\.invalid\/\?token=/)
    expect(error?.location).not.toContain(secret)
    expect(error?.message).not.toContain(secret)
  })
})

describe("AsyncClient follows no redirect", () => {
  for (const transport of ["fetch", "undici"] as const) {
    it(`with transport ${transport}: a POST answered with any 3xx rejects with the UnexpectedStatusError`, async () => {
      await using client = new AsyncClient({ token: "tok-9f2c71d4-async", host: `${apiUrl}/v1`, totalRetries: 0, transport })
      for (const status of statuses) {
        await fake((server) => server.script(Fault.Status({ status, headers: { location: `${elsewhereUrl}/v1/complete` } })))
        const rejection = await client.complete(request, model).then(() => undefined, (error: unknown) => error)
        expect(rejection).toBeInstanceOf(UnexpectedStatusError)
        expect(rejection).toMatchObject({ status, location: `${elsewhereUrl}/v1/complete` })
      }
      expect(elsewhereReceived).toEqual([])
    })
  }
})

describe("the fetch transport asks fetch not to follow", () => {
  const recording = (answer: () => Response) => {
    const inits: Array<RequestInit | undefined> = []
    const fetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      inits.push(init)
      return answer()
    }) as typeof globalThis.fetch
    const transport = FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, fetch)))
    return { inits, transport }
  }
  const layer = (transport: Layer.Layer<HttpClient.HttpClient>) =>
    Client.layer({ token, host: "http://api.invalid/v1", totalRetries: 0 }).pipe(Layer.provide(transport))

  it("with redirect: \"manual\", keeping the application's RequestInit from the call or where the client is built", async () => {
    const { inits, transport } = recording(() => new Response("1.19.0"))
    const version = Effect.flatMap(Client, (client) => client.getVersion())
    await Effect.runPromise(Effect.provide(version, layer(transport)))
    await Effect.runPromise(
      version.pipe(Effect.provide(layer(transport)), Effect.provideService(FetchHttpClient.RequestInit, { cache: "no-store" }))
    )
    await Effect.runPromise(
      Effect.provide(version, layer(transport).pipe(Layer.provide(Layer.succeed(FetchHttpClient.RequestInit, { keepalive: true }))))
    )
    expect(inits.map((init) => init?.redirect)).toEqual(["manual", "manual", "manual"])
    expect(inits[1]?.cache).toBe("no-store")
    expect(inits[2]?.keepalive).toBe(true)
  })

  it("and a browser's opaque answer to a manual redirect (status 0) is an UnexpectedStatusError that says so", async () => {
    // what a browser's fetch resolves with when told not to follow: status 0, no headers, no body
    const { transport } = recording(() => Object.defineProperty(Response.error(), "type", { value: "opaqueredirect" }))
    const exit = await Effect.runPromiseExit(
      Effect.provide(Effect.flatMap(Client, (client) => client.complete(request, model)), layer(transport))
    )
    const error = Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined
    expect(error).toBeInstanceOf(UnexpectedStatusError)
    expect(error).toMatchObject({ status: 0 })
    expect((error as Error).message).toMatch(/opaque .*redirect/)
  })
})

// ---------------------------------------------------------------------------------------------
// paths

describe("a model in a URL path", () => {
  const runtime = ManagedRuntime.make(AlephAlphaTest.layer({ client: { totalRetries: 0 } }))
  afterAll(() => runtime.dispose())
  const requested = () => runtime.runPromise(Effect.flatMap(FakeServer.FakeServer, (server) => server.requests))

  it("that is \".\", \"..\" or empty is a ValidationError, and nothing is requested", async () => {
    for (const name of [".", "..", ""]) {
      const exit = await runtime.runPromiseExit(Effect.flatMap(Client, (client) => client.tokenizerJson(name)))
      expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ _tag: "ValidationError", path: "model" })
    }
    expect(await requested()).toEqual([])
  })

  it("is one percent-encoded segment, whatever it holds: the path keeps its depth", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }),
          fc.constantFrom("a/b", "../x", "..%2F", "%2e%2e", "%2E", ".%2e", "a?b#c", "a\\b", " .. ", "...", "models/../version")
        ).filter((name) => name !== "." && name !== ".." && !/[\u0000-\u001f\u007f-\u009f]/.test(name)),
        async (name) => {
          const before = (await requested()).length
          await runtime.runPromiseExit(Effect.flatMap(Client, (client) => client.tokenizerJson(name)))
          const sent = (await requested()).slice(before)
          expect(sent.length).toBe(1)
          const segments = sent[0]!.path.split("/")
          expect(segments.length, sent[0]!.path).toBe(5)
          expect([segments[1], segments[2], segments[4]]).toEqual(["v1", "models", "tokenizer"])
          expect(decodeURIComponent(segments[3]!)).toBe(name)
        }
      ),
      { numRuns: 100 }
    )
  })
})
