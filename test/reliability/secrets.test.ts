/**
 * Secrets never appear, whatever the server or the options do: a server that echoes the
 * `Authorization` header into an error body, a malformed answer, a stream or a broken HTTP
 * answer gets it replaced by `<redacted>` in every error, its cause, the logs and the spans; a
 * proxy's password is never in them either.
 * Options that would print or inject a secret (a host with user info, a token with control
 * characters, bad extra headers) are a `ValidationError` when the layer or `AsyncClient` is made,
 * which never echoes them.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Inspectable, Layer, Redacted, Schema, Stream } from "effect"
import * as http from "node:http"
import * as net from "node:net"
import { createProxy } from "proxy"
import type { AlephAlphaError, AlephAlphaHttpOptions, ClientService } from "../../src/index.js"
import {
  AuthenticationError,
  BadRequestError,
  ChatRequest,
  Client,
  DecodeError,
  Message,
  ServerError,
  StructuredOutputError,
  Tokenization,
  TransportError,
  ValidationError
} from "../../src/index.js"
// the build Node loads ("node" export condition), whose AsyncClient has the undici transport
import { AsyncClient } from "../../src/index.node.js"
import {
  failureOf,
  listenOnLoopback,
  observed,
  type Observer,
  type OwnServer,
  renderings,
  SECRET,
  token
} from "./harness.js"
import { UndiciHttpClient } from "../../src/node/index.js"
import { tokenizer } from "../../src/tokenizer/index.js"

const bearer = `Bearer ${SECRET}`

/** No piece of the secret long enough to matter: every 10-character slice of it. */
const fragments = Array.from({ length: SECRET.length - 9 }, (_, i) => SECRET.slice(i, i + 10))

const expectNoFragment = (texts: ReadonlyArray<string>) => {
  const leaks = texts.flatMap((text) => fragments.filter((fragment) => text.includes(fragment)).map(() => text))
  expect(leaks, "texts holding a piece of the token").toEqual([])
}

/** Every text the error shows: message, rendering, JSON and the whole cause chain. */
const errorTexts = (error: unknown): ReadonlyArray<string> => {
  const out: Array<string> = [String(error), Inspectable.format(error), JSON.stringify(error) ?? ""]
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== undefined; depth++) {
    if (current instanceof Error) {
      out.push(current.message, current.stack ?? "", Inspectable.format(current), JSON.stringify(current) ?? "")
      for (const value of Object.values(current)) if (typeof value === "string") out.push(value)
      current = current.cause
    } else {
      out.push(Inspectable.format(current))
      current = undefined
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// the echoing server

const chatAnswer = (content: string) =>
  JSON.stringify({
    id: "c",
    choices: [{ finish_reason: "stop", index: 0, message: { role: "assistant", content } }],
    created: 1,
    model: "m",
    object: "chat.completion"
  })

/** What each scenario answers, given the request's Authorization header. */
const answers: Record<string, (authorization: string) => { status: number; type: string; body: string }> = {
  "json-400": (auth) => ({
    status: 400,
    type: "application/json",
    body: JSON.stringify({ error: `unexpected header Authorization: ${auth}`, code: auth })
  }),
  "json-500": (auth) => ({ status: 500, type: "application/json", body: JSON.stringify({ error: `echo ${auth}` }) }),
  "text-401": (auth) => ({ status: 401, type: "text/plain", body: `Authorization: ${auth}\nis not valid` }),
  // the token straddles the 4096 characters kept of a body
  "long-500": (auth) => ({ status: 500, type: "text/plain", body: "x".repeat(4090) + auth + " trailing" }),
  "other-json-400": (auth) => ({
    status: 400,
    type: "application/json",
    body: JSON.stringify({ detail: { headers: { authorization: auth } } })
  }),
  // the JSON parser quotes the characters where it fails: the start of the token
  "not-json-200": (auth) => ({ status: 200, type: "application/json", body: `${auth.slice(7)} is no JSON` }),
  "shape-200": (auth) => ({ status: 200, type: "application/json", body: JSON.stringify({ choices: auth }) }),
  "stream-not-json": (auth) => ({ status: 200, type: "text/event-stream", body: `data: ${auth.slice(7)}\n\n` }),
  "stream-shape": (auth) => ({
    status: 200,
    type: "text/event-stream",
    body: `data: ${JSON.stringify({ choices: [{ index: 0, delta: auth }] })}\n\n`
  }),
  "encoded-400": (auth) => ({ status: 400, type: "text/plain", body: `redirect to /login?token=${encodeURIComponent(auth.slice(7))}` }),
  "tokenizer": (auth) => ({ status: 200, type: "application/json", body: `${auth.slice(7)}` }),
  "structured": (auth) => ({ status: 200, type: "application/json", body: chatAnswer(`not JSON: ${auth}`) }),
  "structured-shape": (auth) => ({
    status: 200,
    type: "application/json",
    body: chatAnswer(JSON.stringify({ name: auth }))
  })
}

let server: OwnServer
let broken: OwnServer
let base = ""
let brokenBase = ""
let requests = 0

beforeAll(async () => {
  server = await listenOnLoopback(http.createServer((request, response) => {
    requests++
    request.resume()
    request.on("end", () => {
      const scenario = (request.url ?? "").split("/")[1] ?? ""
      const answer = answers[scenario]?.(request.headers.authorization ?? "")
      if (answer === undefined) return void response.writeHead(404).end()
      response.writeHead(answer.status, { "content-type": answer.type }).end(answer.body)
    })
  }))
  // answers with a broken HTTP message holding the token: the parser's error keeps the bytes
  broken = await listenOnLoopback(net.createServer((socket) => {
    requests++
    socket.once("data", (data) => {
      const auth = /authorization: ([^\r\n]*)/i.exec(data.toString("latin1"))?.[1] ?? ""
      socket.end(`HTTP/1.1 200 OK\r\nx-echo: ${auth}\r\nx-bad: a\u0001${auth}\r\ncontent-length: 2\r\n\r\n{}`)
    })
  }))
  base = server.url
  brokenBase = broken.url
})

afterAll(async () => {
  await server.close()
  await broken.close()
})

beforeEach(() => {
  requests = 0
})

// ---------------------------------------------------------------------------------------------
// the clients

const transports: ReadonlyArray<{ readonly name: string; readonly layer: Layer.Layer<HttpClient.HttpClient, unknown> }> = [
  { name: "undici", layer: UndiciHttpClient.layer() },
  { name: "fetch", layer: FetchHttpClient.layer }
]

const chatRequest = new ChatRequest({ model: "m", messages: [new Message({ role: "user", content: "Hi" })] })

const withClient = <A>(
  transport: Layer.Layer<HttpClient.HttpClient, unknown>,
  host: string,
  use: (client: ClientService) => Effect.Effect<A, AlephAlphaError>
) =>
  Effect.scoped(Effect.gen(function*() {
    const layer = Client.layer({ token, host, totalRetries: 0 }).pipe(Layer.provide(transport))
    const context = yield* Effect.orDie(Layer.build(layer))
    return yield* Effect.exit(use(Context.get(context, Client)))
  }))

/** Runs one call under the observer (spans, Debug logs, renderings) and returns its typed failure. */
const failing = (
  observer: Observer,
  transport: Layer.Layer<HttpClient.HttpClient, unknown>,
  host: string,
  use: (client: ClientService) => Effect.Effect<unknown, AlephAlphaError>
) =>
  Effect.gen(function*() {
    const exit = yield* withClient(transport, host, use)
    yield* observer.outcome(exit)
    const error = failureOf(exit)
    expectNoFragment([...observer.texts(), ...errorTexts(error)])
    return error
  })

const Named = Schema.Struct({ name: Schema.Number })

/** The scenarios: the call, and the error it must end in. */
const cases: ReadonlyArray<{
  readonly scenario: string
  readonly call: (client: ClientService) => Effect.Effect<unknown, AlephAlphaError>
  readonly expected: new(...args: Array<any>) => AlephAlphaError
}> = [
  { scenario: "json-400", call: (client) => client.chat(chatRequest), expected: BadRequestError },
  { scenario: "json-500", call: (client) => client.chat(chatRequest), expected: ServerError },
  { scenario: "text-401", call: (client) => client.chat(chatRequest), expected: AuthenticationError },
  { scenario: "long-500", call: (client) => client.chat(chatRequest), expected: ServerError },
  { scenario: "other-json-400", call: (client) => client.models(), expected: BadRequestError },
  { scenario: "not-json-200", call: (client) => client.chat(chatRequest), expected: DecodeError },
  { scenario: "shape-200", call: (client) => client.chat(chatRequest), expected: DecodeError },
  { scenario: "stream-not-json", call: (client) => Stream.runDrain(client.chatWithStreaming(chatRequest)), expected: DecodeError },
  { scenario: "stream-shape", call: (client) => Stream.runDrain(client.chatWithStreaming(chatRequest)), expected: DecodeError },
  { scenario: "tokenizer", call: (client) => tokenizer("m").pipe(Effect.provideService(Tokenization, client)), expected: DecodeError },
  { scenario: "structured", call: (client) => client.chatStructured(chatRequest, Named), expected: StructuredOutputError },
  {
    scenario: "structured-shape",
    call: (client) => client.chatStructured(chatRequest, Named),
    expected: StructuredOutputError
  }
]

describe.each(transports)("a server echoing the token, on the $name transport", ({ layer }) => {
  it.live("never gets it into an error, its cause, a log line or a span: it is <redacted>", () =>
    observed((observer) =>
      Effect.gen(function*() {
        for (const { call, expected, scenario } of cases) {
          const error = yield* failing(observer, layer, `${base}/${scenario}`, call)
          expect(error, scenario).toBeInstanceOf(expected)
          // the rest of what the server said is kept
          if (scenario === "json-400") {
            expect((error as BadRequestError).error).toBe("unexpected header Authorization: Bearer <redacted>")
            expect((error as BadRequestError).code).toBe("Bearer <redacted>")
          }
          if (scenario === "text-401") expect(error.message).toContain("Authorization: Bearer <redacted>")
          if (scenario === "not-json-200") expect(error.message).toContain("is not valid JSON")
          if (scenario === "structured") {
            expect((error as StructuredOutputError).content).toBe("not JSON: Bearer <redacted>")
          }
        }
      })
    ))

  it.live("never gets it into a transport error, even when the HTTP parser keeps the answer's bytes", () =>
    observed((observer) =>
      Effect.gen(function*() {
        const error = yield* failing(observer, layer, brokenBase, (client) => client.chat(chatRequest))
        expect(error).toBeInstanceOf(TransportError)
      })
    ))
})

describe("a token with characters that JSON and URLs escape", () => {
  const special = "tok/with+special\"chars\\and=more&1234567890"

  it.live("is redacted in its escaped forms too", () =>
    Effect.gen(function*() {
      for (const scenario of ["other-json-400", "encoded-400"]) {
        const exit = yield* Effect.scoped(Effect.gen(function*() {
          const layer = Client.layer({ token: Redacted.make(special), host: `${base}/${scenario}`, totalRetries: 0 }).pipe(
            Layer.provide(transports[0]!.layer)
          )
          return yield* Effect.exit(Context.get(yield* Layer.build(layer), Client).models())
        }))
        const error = failureOf(exit)
        expect(error, scenario).toBeInstanceOf(BadRequestError)
        expect((error as BadRequestError).error).toContain("<redacted>")
        for (const form of [special, JSON.stringify(special).slice(1, -1), encodeURIComponent(special)]) {
          for (const text of errorTexts(error)) expect(text).not.toContain(form)
        }
      }
    }))
})

describe("AsyncClient with a server echoing the token", () => {
  it.live("rejects with errors that hold none of it", () =>
    Effect.gen(function*() {
      for (const transport of ["undici", "fetch"] as const) {
        for (const scenario of ["json-400", "text-401", "not-json-200", "shape-200"]) {
          const client = new AsyncClient({ token: SECRET, host: `${base}/${scenario}`, totalRetries: 0, transport })
          const error = yield* Effect.promise(() => client.chat(chatRequest).then(() => undefined, (e: unknown) => e))
          yield* Effect.promise(() => client.close())
          expect(error, scenario).toBeInstanceOf(Error)
          expectNoFragment(errorTexts(error))
        }
      }
    }))
})

// ---------------------------------------------------------------------------------------------
// options that would print or inject a secret

/** The failure of building `Client.layer` with these options (over a transport never reached). */
const buildFailure = (options: AlephAlphaHttpOptions) =>
  Effect.scoped(Effect.gen(function*() {
    const exit = yield* Effect.exit(
      Layer.build(Client.layer(options).pipe(Layer.provide(transports[0]!.layer)))
    )
    if (Exit.isSuccess(exit)) throw new Error("the layer was built")
    const error = Cause.squash(exit.cause)
    expect(Cause.isFailType(exit.cause) || Cause.failures(exit.cause).length === 1).toBe(true)
    return { error, texts: [...renderings(exit), ...errorTexts(error)] }
  }))

/** The error `new AsyncClient` throws with these options. */
const constructorFailure = (options: ConstructorParameters<typeof AsyncClient>[0]) => {
  try {
    new AsyncClient(options)
  } catch (error) {
    return { error, texts: errorTexts(error) }
  }
  throw new Error("the client was made")
}

const expectRefused = (
  failure: { readonly error: unknown; readonly texts: ReadonlyArray<string> },
  path: string | RegExp,
  hidden: ReadonlyArray<string>
) => {
  expect(failure.error).toBeInstanceOf(ValidationError)
  expect((failure.error as ValidationError).path).toMatch(path)
  for (const text of failure.texts) for (const secret of hidden) expect(text).not.toContain(secret)
}

describe("a host with user info", () => {
  const hosts = [
    "https://alice:hunter2-PASSWORD@api.example.com/v1",
    "https://hunter2-PASSWORD@api.example.com",
    "ftp://alice:hunter2-PASSWORD@api.example.com",
    "https://alice:hunter2-PASSWORD@exa mple.com"
  ]

  it.live("is refused when the layer or AsyncClient is made, the password never shown", () =>
    Effect.gen(function*() {
      for (const host of hosts) {
        const failure = yield* buildFailure({ token, host })
        expectRefused(failure, "host", ["hunter2", "alice"])
        expectRefused(constructorFailure({ token: SECRET, host }), "host", ["hunter2", "alice"])
      }
      const { error } = yield* buildFailure({ token, host: hosts[0] })
      expect((error as ValidationError).message).toContain("***@api.example.com")
      expect((error as ValidationError).message).toContain("user info")
      expect(requests).toBe(0)
    }))
})

describe("a token with control or non-ASCII characters", () => {
  const tokens = [`${SECRET}\r\nx-injected: 1`, `${SECRET}\n`, `\r${SECRET}`, `${SECRET}\u0000`, `${SECRET}\u007f`, `${SECRET}é`, `${SECRET}\u2028`]

  it.live("is refused when the layer or AsyncClient is made, never echoed", () =>
    Effect.gen(function*() {
      for (const bad of tokens) {
        expectRefused(yield* buildFailure({ token: Redacted.make(bad), host: base }), "token", [SECRET])
        expectRefused(constructorFailure({ token: bad, host: base }), "token", [SECRET])
      }
      expect(requests).toBe(0)
    }))
})

describe("extra headers", () => {
  const refused: ReadonlyArray<{ readonly headers: Record<string, string>; readonly path: string | RegExp }> = [
    { headers: { "bad name": "v" }, path: "headers" },
    { headers: { "x-a\r\nx-injected": "v" }, path: "headers" },
    { headers: { "": "v" }, path: "headers" },
    { headers: { "ünï": "v" }, path: "headers" },
    { headers: { "x-key": `${SECRET}\r\nx-injected: 1` }, path: "headers.x-key" },
    { headers: { "x-key": `${SECRET}\n` }, path: "headers.x-key" },
    { headers: { "x-key": `${SECRET}\u0000` }, path: "headers.x-key" },
    { headers: { "x-key": `${SECRET}€` }, path: "headers.x-key" },
    { headers: { "x-key": `${SECRET}é` }, path: "headers.x-key" },
    { headers: { Authorization: `Bearer ${SECRET}` }, path: "headers.Authorization" },
    { headers: { authorization: `Bearer ${SECRET}` }, path: "headers.authorization" },
    { headers: { "content-length": "3" }, path: "headers.content-length" },
    { headers: { "Transfer-Encoding": "chunked" }, path: "headers.Transfer-Encoding" },
    { headers: { "X-Key": SECRET, "x-key": SECRET }, path: /^headers\.x-key$/i }
  ]

  it.live("with a bad name or value are refused when the layer or AsyncClient is made, values never echoed", () =>
    Effect.gen(function*() {
      for (const { headers, path } of refused) {
        expectRefused(yield* buildFailure({ token, host: base, headers }), path, [SECRET])
        expectRefused(constructorFailure({ token: "t", host: base, headers }), path, [SECRET])
      }
      expect(requests).toBe(0)
    }))

  it.live("with visible ASCII, spaces and tabs are sent", () =>
    Effect.gen(function*() {
      const seen: Array<http.IncomingHttpHeaders> = []
      const echo = yield* Effect.promise(() =>
        listenOnLoopback(http.createServer((request, response) => {
          seen.push(request.headers)
          response.writeHead(200, { "content-type": "application/json" }).end("[]")
        }))
      )
      const host = echo.url
      const exit = yield* Effect.scoped(Effect.gen(function*() {
        const layer = Client.layer({ token, host, headers: { "X-Tenant": "a b\tc ~!" } }).pipe(
          Layer.provide(transports[0]!.layer)
        )
        const context = yield* Layer.build(layer)
        return yield* Effect.exit(Context.get(context, Client).models())
      }))
      yield* Effect.promise(() => echo.close())
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(seen[0]?.["x-tenant"]).toBe("a b\tc ~!")
      expect(seen[0]?.authorization).toBe(bearer)
    }))
})

describe("a proxy's password, in the proxy option or in HTTPS_PROXY", () => {
  const PROXY_SECRET = "proxy-PASSWORD-8c1f2e7d-MUST-NOT-LEAK"
  const proxyFragments = Array.from({ length: PROXY_SECRET.length - 9 }, (_, i) => PROXY_SECRET.slice(i, i + 10))

  it.live("never gets into an error, its cause, a log line or a span: a dead proxy, a proxy refusing it (407)", () =>
    observed((observer) =>
      Effect.gen(function*() {
        // a proxy that takes no credentials at all, and a port nobody listens on
        const refusing = createProxy(http.createServer())
        refusing.authenticate = () => false
        const proxy = yield* Effect.promise(() => listenOnLoopback(refusing))
        const dead = yield* Effect.promise(() => listenOnLoopback(net.createServer()))
        yield* Effect.promise(() => dead.close())
        const saved = process.env.HTTPS_PROXY
        try {
          for (const proxyUrl of [proxy.url, dead.url]) {
            const withCredentials = new URL(proxyUrl)
            withCredentials.username = "alice"
            withCredentials.password = PROXY_SECRET
            const viaOption = UndiciHttpClient.layer({
              proxy: { url: proxyUrl, username: "alice", password: Redacted.make(PROXY_SECRET) }
            })
            for (const [transport, host] of [[viaOption, base], [UndiciHttpClient.layer(), base.replace("http:", "https:")]] as const) {
              process.env.HTTPS_PROXY = withCredentials.href
              const exit = yield* withClient(transport, `${host}/json-400`, (client) => client.chat(chatRequest))
              yield* observer.outcome(exit)
              const error = failureOf(exit)
              expect(error).toBeInstanceOf(TransportError)
              expect(error.message).toContain(`the proxy ${proxyUrl}`)
              const texts = [...observer.texts(), ...errorTexts(error)]
              expect(texts.filter((text) => proxyFragments.some((fragment) => text.includes(fragment)))).toEqual([])
            }
          }
        } finally {
          if (saved === undefined) delete process.env.HTTPS_PROXY
          else process.env.HTTPS_PROXY = saved
          yield* Effect.promise(() => proxy.close())
        }
      })
    ))
})
