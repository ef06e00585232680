/**
 * The fast Node transport: an `HttpClient` over an undici `Agent` of our own, so the connection
 * limit, proxies and TLS are the client's options. Measured on this project's benchmark,
 * Effect over undici serves 1.5–2× the requests/s of Effect over fetch.
 *
 * The client is the platform's (`HttpClient.make`: its abort signal, scopes, tracing and
 * combinators); only the undici adapter is ours. It is platform-node's `makeUndici` except for
 * reading a body: platform-node memoizes each read with `Effect.cached` run through
 * `Effect.runSync`, which costs about 150 µs of CPU per response, a quarter of a whole chat
 * call at concurrency 32. Here the read is memoized as its promise. undici is loaded when the
 * client is built, so importing this module stays cheap.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as NodeBuffer from "node:buffer"
import * as Headers from "@effect/platform/Headers"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as UndiciModule from "undici"
import { ValidationError } from "../errors/AlephAlphaError.js"
import { copyOptions } from "../schema/internal/untypedInput.js"
import { type DirectRequest, DirectSend, type DirectSender } from "../services/internal/directSend.js"
import { BoundedText, type BoundedTextReader } from "../services/internal/responseBody.js"
import type { NetworkOptions } from "../services/NetworkOptions.js"
import { type Network, resolveNetwork } from "./internal/network.js"
import { fromReadable } from "./NodeReadable.js"

/** Options of the undici transport: the connection limit, proxies and TLS. */
export interface UndiciOptions extends NetworkOptions {
  /** The most connections kept open per origin. Default: 100. */
  readonly connectionLimit?: number | undefined
}

type ResponseData = UndiciModule.Dispatcher.ResponseData
type RequestBody = Exclude<UndiciModule.Dispatcher.DispatchOptions["body"], undefined>

const subject = "transport options"

/** The options checked, the proxy variables read: all that is needed to build the client. */
interface Checked {
  readonly connectionLimit: number
  readonly network: Network
}

const check = (untyped: UndiciOptions, subject: string): Either.Either<Checked, ValidationError> =>
  Either.flatMap(copyOptions(untyped, subject), (options: UndiciOptions) => {
    const connectionLimit = options.connectionLimit ?? 100
    if (!Number.isSafeInteger(connectionLimit) || connectionLimit < 1) {
      return Either.left(new ValidationError({ path: "connectionLimit", issue: "expected a positive integer", subject }))
    }
    return Either.map(resolveNetwork(options, subject), (network) => ({ connectionLimit, network }))
  })

/**
 * The dispatcher: an `Agent`, or with proxies undici's `EnvHttpProxyAgent` given them
 * explicitly, whose connection to a proxy names it in every error (its origin, never its
 * credentials).
 */
const dispatcher = (Undici: typeof UndiciModule, { connectionLimit, network }: Checked): UndiciModule.Dispatcher => {
  const proxies = network.proxies
  if (proxies === undefined) return new Undici.Agent({ connections: connectionLimit, connect: network.connect })
  const proxyClient = (origin: URL, options: UndiciModule.Pool.Options) => {
    const pool = new Undici.Pool(origin, options)
    const name = proxies.names.get(`${origin.protocol}//${origin.host}`) ?? `${origin.protocol}//${origin.host}`
    const connect = pool.connect.bind(pool) as (options: UndiciModule.Dispatcher.ConnectOptions) => Promise<UndiciModule.Dispatcher.ConnectData>
    // undici's ProxyAgent asks for the tunnel with the promise form of `connect`
    pool.connect = (async (options: UndiciModule.Dispatcher.ConnectOptions) => {
      let data: UndiciModule.Dispatcher.ConnectData
      try {
        data = await connect(options)
      } catch (cause) {
        throw new Error(`the proxy ${name} could not be reached`, { cause })
      }
      if (data.statusCode === 200) return data
      data.socket.on("error", ignoreError).destroy()
      throw new Error(
        data.statusCode === 407
          ? `the proxy ${name} asks for credentials (407 Proxy Authentication Required)`
          : `the proxy ${name} refused the tunnel to ${options.path} (HTTP ${data.statusCode})`
      )
    }) as typeof pool.connect
    return pool
  }
  return new Undici.EnvHttpProxyAgent({
    connections: connectionLimit,
    connect: network.connect,
    httpProxy: proxies.httpProxy,
    httpsProxy: proxies.httpsProxy,
    noProxy: proxies.noProxy,
    // passed on to its ProxyAgents
    requestTls: network.connect,
    proxyTls: network.proxyTls,
    clientFactory: proxyClient,
    ...(proxies.token === undefined ? {} : { token: proxies.token })
  } as UndiciModule.EnvHttpProxyAgent.Options)
}

// timeouts are the transport's (requestTimeout, streamIdleTimeout)
const noTimeouts = { headersTimeout: 60 * 60 * 1000, bodyTimeout: 0 } as const

const build = (checked: Checked): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.gen(function*() {
    // undici is costly to import: load it when the client is built
    const Undici = yield* Effect.promise(() => import("undici"))
    const agent = yield* Effect.acquireRelease(
      Effect.sync(() => dispatcher(Undici, checked)),
      (agent) => Effect.promise(() => agent.destroy())
    )
    const client = HttpClient.make((request, url, signal) =>
      Effect.flatMap(requestBody(request.body), (body) =>
        Effect.tryPromise({
          try: () =>
            agent.request({
              signal,
              method: request.method,
              headers: request.headers,
              origin: url.origin,
              path: url.pathname + url.search + url.hash,
              body,
              ...noTimeouts
            }),
          catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
        })).pipe(Effect.map((source) => new UndiciResponse(request, source)))
    )
    // the transport's own send (see DirectSend); undici follows no redirect
    const direct: DirectSender = (request) =>
      agent.request({
        signal: request.signal,
        method: request.method,
        headers: request.headers,
        origin: request.origin,
        path: request.path,
        body: request.body ?? null,
        ...noTimeouts
      }).then((source) => new UndiciResponse(() => platformRequest(request), source))
    return Object.defineProperty(client, DirectSend, { value: direct })
  })

/** The platform's form of a direct request, for the response's `request` (made only when read). */
const platformRequest = (request: DirectRequest): HttpClientRequest.HttpClientRequest =>
  HttpClientRequest.make(request.method)(request.origin + request.path, {
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: HttpBody.text(request.body, request.headers["content-type"]) })
  })

/**
 * Builds an undici-backed `HttpClient`; its connections close with the scope. A bad option,
 * or a proxy variable that is no http(s) URL, is a `ValidationError`.
 */
export const make = (
  options: UndiciOptions = {}
): Effect.Effect<HttpClient.HttpClient, ValidationError, Scope.Scope> =>
  Effect.flatMap(Effect.suspend(() => check(options, subject)), build)

/**
 * The undici transport as the application's `HttpClient`: `connectionLimit` connections per
 * origin, through the proxy of the `proxy` option or else of `HTTPS_PROXY`/`HTTP_PROXY` (minus
 * `NO_PROXY`), trusting the runtime's roots and `ca`, presenting `cert`/`key` when a server asks
 * for a client certificate, verifying certificates unless `verifySsl` is false; its connections
 * close with the layer.
 */
export const layer = (options: UndiciOptions = {}): Layer.Layer<HttpClient.HttpClient, ValidationError> =>
  Layer.scoped(HttpClient.HttpClient, make(options))

/**
 * @internal `AsyncClient`'s transport: the options are checked (and the proxy variables read)
 * now, so a bad one is thrown where the client is made.
 */
export const layerChecked = (
  options: UndiciOptions,
  subject: string
): Either.Either<Layer.Layer<HttpClient.HttpClient>, ValidationError> =>
  Either.map(check(options, subject), (checked) => Layer.scoped(HttpClient.HttpClient, build(checked)))

const requestBody = (body: HttpBody.HttpBody): Effect.Effect<RequestBody> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(null)
    case "Uint8Array":
    case "Raw":
      return Effect.succeed(body.body as RequestBody)
    case "FormData":
      return Effect.succeed(body.formData as unknown as RequestBody)
    case "Stream":
      // undici sends an async iterable as it is read
      return Effect.map(
        Effect.runtime<never>(),
        (runtime) => Stream.toAsyncIterableRuntime(body.stream, runtime) as unknown as RequestBody
      )
  }
}

// Node has it from 18.15; other runtimes' `node:buffer` may not: then every body is decoded as UTF-8
const isAscii: (bytes: Buffer) => boolean = typeof NodeBuffer.isAscii === "function" ? NodeBuffer.isAscii : () => false

// an error on a body nobody reads must not become an unhandled 'error' event
const ignoreError = () => {}

/**
 * Reads the body as `BoundedTextReader` says; past the limit the body is destroyed, which
 * closes its connection. The bytes are decoded at the end, as undici's `text()` does: at most
 * `limit` bytes are held, then next to their text for the moment of decoding.
 */
const readBounded = (source: ResponseData, limit: number, truncate: boolean) =>
  new Promise<string | undefined>((resolve, reject) => {
    const body = source.body
    if (body.destroyed) return reject(body.errored ?? new Error("the body was already released"))
    const declared = Number(source.headers["content-length"])
    if (declared > limit && !truncate) {
      body.destroy()
      return resolve(undefined)
    }
    const chunks: Array<Buffer> = []
    let length = 0
    let done = false
    const add = (chunk: Buffer) => {
      chunks.push(chunk)
      length += chunk.length
    }
    // decoded once at the end, as undici's `text()` does: decoding chunk by chunk builds a rope of
    // small strings that cost a batch of large answers a third more peak memory (bench)
    const end = () => {
      done = true
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length)
      chunks.length = 0
      // ASCII (every embedding answer: JSON of numbers) decodes the same as Latin-1, and Node keeps
      // a large Latin-1 string outside the JS heap, as external memory a minor GC can free; a large
      // UTF-8 string waits in the old heap for a full GC, so batches of large answers piled them up
      if (isAscii(bytes)) return bytes.toString("latin1")
      // without a BOM, as TextDecoder and undici's `text()` do
      const start = bytes.length > 2 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
      return bytes.toString("utf8", start)
    }
    body.on("data", (chunk: Buffer) => {
      if (done) return
      if (chunk.length <= limit - length) return add(chunk)
      body.destroy()
      if (!truncate) {
        done = true
        return resolve(undefined)
      }
      add(chunk.subarray(0, limit - length))
      resolve(end())
    })
    body.once("end", () => resolve(end()))
    body.once("error", reject)
    // after the end too: an error (with its stack trace) only when it did not end
    body.once("close", () => {
      if (!done) reject(new Error("the body closed before its end"))
    })
  })

class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse, BoundedTextReader {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private textBody: Promise<string> | undefined
  private arrayBufferBody: Promise<ArrayBuffer> | undefined
  private formDataBody: Promise<FormData> | undefined
  private requestOrMake: HttpClientRequest.HttpClientRequest | (() => HttpClientRequest.HttpClientRequest)

  /** `request` may be given as a function, called once when it is first read. */
  constructor(
    request: HttpClientRequest.HttpClientRequest | (() => HttpClientRequest.HttpClientRequest),
    private readonly source: ResponseData
  ) {
    super()
    this.requestOrMake = request
    source.body.on("error", ignoreError)
  }

  get request(): HttpClientRequest.HttpClientRequest {
    if (typeof this.requestOrMake === "function") this.requestOrMake = this.requestOrMake()
    return this.requestOrMake
  }

  get status(): number {
    return this.source.statusCode
  }

  get headers(): Headers.Headers {
    return Headers.fromInput(this.source.headers as Headers.Input)
  }

  get cookies(): Cookies.Cookies {
    const header = this.source.headers["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return fromReadable(() => this.source.body, (cause) => this.decodeError(cause))
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.read(() => this.textBody ??= this.source.body.text())
  }

  [BoundedText](limit: number, truncate: boolean): Effect.Effect<string | undefined, HttpClientError.ResponseError> {
    return this.read(() => readBounded(this.source, limit, truncate))
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => text === "" ? null : JSON.parse(text) as unknown,
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.read(() => this.arrayBufferBody ??= this.source.body.arrayBuffer())
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.read(() => this.formDataBody ??= this.source.body.formData())
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }

  /** A body read, once: every run of the effect awaits the same promise. */
  private read<A>(body: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    return Effect.tryPromise({ try: body, catch: (cause) => this.decodeError(cause) })
  }

  private decodeError(cause: unknown): HttpClientError.ResponseError {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }
}
