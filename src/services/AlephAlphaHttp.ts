/**
 * The one transport every endpoint goes through: request building, auth, retries, timeouts,
 * error mapping and SSE. An endpoint method only names its path, request and response schema.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import {
  type AlephAlphaError,
  type ApiError,
  AuthenticationError,
  BadRequestError,
  BusyError,
  DecodeError,
  type HttpStatusError,
  isRetryable,
  NotFoundError,
  PermissionDeniedError,
  QuotaError,
  RateLimitError,
  RequestTimeoutError,
  ServerError,
  TransportError,
  UnexpectedStatusError,
  ValidationError
} from "../errors/AlephAlphaError.js"
import { formatParseError } from "../schema/internal/parseErrorText.js"
import { copyOptions } from "../schema/internal/untypedInput.js"
import { describeThrown, validationErrorFromThrow } from "../schema/internal/thrown.js"
import { encodeInput } from "../schema/internal/untypedInput.js"
import { userAgent } from "../Version.js"
import { retrySchedule } from "./RetryPolicy.js"
import { failWhenIdle } from "./internal/idleTimeout.js"
import { makeRedactor, type Redactor } from "./internal/redaction.js"
import { AttemptSignal, type DirectResponse, type DirectSender, directSenderOf } from "./internal/directSend.js"
import { declaredLength, readText } from "./internal/responseBody.js"
import { invalidModel } from "./internal/modelName.js"
import { decodeSseWith, type SseEvent } from "./Sse.js"

/** Options of the client (DESIGN §4). */
export interface AlephAlphaHttpOptions {
  /**
   * The API token, sent as `Authorization: Bearer …`; it never appears in errors or logs (where
   * a server echoes it, it is replaced by `<redacted>`). Visible ASCII characters only.
   */
  readonly token: Redacted.Redacted<string>
  /**
   * The base URL, used as given: `/v1` is neither added nor stripped (PhariaAI installations
   * usually want `https://<inference-host>/v1`). It may not carry user info (`user:password@`).
   * Default: `https://api.aleph-alpha.com`.
   */
  readonly host?: string | undefined
  /** Restricts processing to these data centres (`"aleph-alpha"`). Default: no restriction. */
  readonly hosting?: string | undefined
  /** Sends `?nice=true` on every POST, so the scheduler de-prioritises this client. Default: false. */
  readonly nice?: boolean | undefined
  /** Tags injected into every POST body. Default: none. */
  readonly tags?: ReadonlyArray<string> | undefined
  /**
   * The limit of one attempt: until the whole body for plain calls, until the headers for
   * streams. For plain calls under the live clock it is enforced through the abort signal the
   * `HttpClient` hands each request (over `UndiciHttpClient`'s own client, the signal given to
   * undici), which all of `@effect/platform`'s clients honour (a custom client must too).
   * Default: 305 seconds.
   */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** The longest a stream may stay quiet between two reads. Default: 120 seconds. */
  readonly streamIdleTimeout?: Duration.DurationInput | undefined
  /** The largest SSE event accepted, in bytes. Default: 8 MiB. */
  readonly maxEventSize?: number | undefined
  /**
   * The largest answer a plain call accepts, in bytes: past it (or when `Content-Length`
   * declares more) the request is aborted and the call fails with a `DecodeError`, not retried.
   * Default: 64 MiB.
   */
  readonly maxResponseSize?: number | undefined
  /** Retries after the first attempt, with the default backoff. Default: 8. */
  readonly totalRetries?: number | undefined
  /**
   * Replaces the default backoff (and `totalRetries`). It is always combined with the
   * retryable-error rule, and streams are never retried after their headers arrived; wrap it
   * in `withRetryAfter` to honour the server's `Retry-After`. Default: `retrySchedule()`.
   */
  readonly retrySchedule?: Schedule.Schedule<unknown, AlephAlphaError> | undefined
  /**
   * Extra headers sent with every request: names are HTTP tokens, values visible ASCII, spaces
   * and tabs; `authorization` (the token's) and the framing headers are refused. Default: none.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /**
   * Record prompt and completion text in span attributes (`gen_ai.prompt`, `gen_ai.completion`).
   * Default: false — spans carry models, parameters, usage and finish reasons, never content.
   */
  readonly recordContent?: boolean | undefined
  /**
   * Sends an `x-request-id` header with each call (the same on each of its retries), which its
   * errors then carry as `requestId`: `true` for a random UUID, or a function that makes an id
   * (visible ASCII, at most 256 characters). An `x-request-id` in `headers` is sent as it is.
   * Default: false.
   */
  readonly requestId?: boolean | (() => string) | undefined
  /**
   * @internal Applied to every retry schedule the client runs, its own and per-call ones: how
   * the test layers make the waits between retries move a `TestClock` on (`retryWait`).
   */
  readonly adaptRetrySchedule?: RetryScheduleAdapter | undefined
}

/** What the test layers apply to every retry schedule (`adaptRetrySchedule`). */
export type RetryScheduleAdapter = (
  schedule: Schedule.Schedule<unknown, AlephAlphaError>
) => Schedule.Schedule<unknown, AlephAlphaError>

/**
 * Overrides of the client's options for the calls made inside one effect or stream
 * (`AlephAlphaHttp.withCallOptions`), and, with `signal`, the trailing options of
 * `AsyncClient`'s methods. What is not given stays as the client has it.
 */
export interface CallOverrides {
  /** Replaces the client's `requestTimeout` (the limit of one attempt). Default: the client's. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** Replaces the client's retry policy with the default backoff and this many retries. Default: the client's. */
  readonly totalRetries?: number | undefined
  /** Replaces the client's retry policy (and `totalRetries`), as the client option does. Default: the client's. */
  readonly retrySchedule?: Schedule.Schedule<unknown, AlephAlphaError> | undefined
  /**
   * Headers added to the client's; where both name one (case aside), this value is sent. Checked
   * as the client's `headers` are; an `x-request-id` here becomes the calls' request id. Default: none.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** The options after defaults and validation. */
export interface ResolvedOptions {
  readonly token: Redacted.Redacted<string>
  /** The base URL, ending in exactly one `/`. */
  readonly host: string
  readonly hosting: string | undefined
  readonly nice: boolean
  readonly tags: ReadonlyArray<string> | undefined
  readonly requestTimeout: Duration.Duration
  readonly streamIdleTimeout: Duration.Duration
  readonly maxEventSize: number
  readonly maxResponseSize: number
  readonly retrySchedule: Schedule.Schedule<unknown, AlephAlphaError>
  readonly headers: Readonly<Record<string, string>>
  readonly recordContent: boolean
  /** Makes the request id of a call; undefined when the `requestId` option is off. */
  readonly requestId: (() => string) | undefined
  /** @internal What a per-call retry schedule goes through (`retrySchedule` already has). */
  readonly adaptRetrySchedule: RetryScheduleAdapter | undefined
}

/** The default base URL. */
export const defaultHost = "https://api.aleph-alpha.com"

/** A POST to the API: a request value, the schema that encodes it, and what to inject. */
export interface PostRequest<Req, ReqI> {
  /** Relative to the base URL, without a leading slash (`"complete"`). */
  readonly path: string
  readonly schema: Schema.Schema<Req, ReqI>
  /** An instance, or a plain object of a request class's fields (see `encodeInput`). */
  readonly request: unknown
  /**
   * The method's model argument, injected as `model` (overwriting a `model` the request may
   * carry). Present, it must be a model name — a non-empty string without control characters,
   * not `.` or `..` — or the call fails with a `ValidationError` before anything is sent. Leave
   * the key out for a request that names no model.
   */
  readonly model?: string | undefined
  /**
   * The endpoint method's span (`Telemetry.call`): its trace context is sent and the retry
   * count goes onto it. Default: the current span.
   */
  readonly span?: Tracer.Span | undefined
}

/** The transport's interface. */
export interface AlephAlphaHttpService {
  readonly options: ResolvedOptions
  /** GET `path` and decode its JSON body with `schema`. */
  readonly getJson: <A, I>(path: string, schema: Schema.Schema<A, I>) => Effect.Effect<A, ApiError>
  /** GET `path` as text, taken as it is: a `DecodeError` only past `maxResponseSize`. */
  readonly getText: (path: string) => Effect.Effect<string, ApiError>
  /** POST a request and decode its JSON answer with `schema`. */
  readonly post: <Req, ReqI, A, I>(
    request: PostRequest<Req, ReqI>,
    schema: Schema.Schema<A, I>
  ) => Effect.Effect<A, ApiError>
  /**
   * POST a request with `stream: true` and emit the JSON value of each SSE event (`[DONE]`
   * ends it). Decoding the values is the caller's, so hot paths can stay lean: `fromData` may
   * read an event's data itself, in place of `JSON.parse`, returning `undefined` for data it
   * does not recognise.
   */
  readonly postStream: <Req, ReqI>(
    request: PostRequest<Req, ReqI>,
    fromData?: ((data: string) => unknown) | undefined
  ) => Stream.Stream<unknown, ApiError>
  /**
   * The error without the token: for the errors an endpoint makes of what the server sent (the
   * transport's own errors have it removed already). Returns the error itself when it holds none.
   */
  readonly redact: <E extends AlephAlphaError>(error: E) => E
}

/** A request before its headers, which are added when it is sent (with the trace context of that moment). */
interface Outgoing {
  readonly method: "GET" | "POST"
  /** Relative to the base URL, with the query (`complete?nice=true`). */
  readonly path: string
  /** The base URL and the path, for messages and the platform's request. */
  readonly url: string
  /** JSON, for a POST. */
  readonly body: string | undefined
  /** Where the trace context and the retry count come from and go; default: the current span. */
  readonly span?: Tracer.Span | undefined
}

/** What one call goes by: the client's options with the overrides in force, its request id, its log. */
interface Call {
  readonly timeout: Duration.Duration
  readonly timeoutMillis: number
  readonly schedule: Schedule.Schedule<unknown, AlephAlphaError>
  /** Every header but the trace context's. */
  readonly headers: Readonly<Record<string, string>>
  readonly requestId: string | undefined
  /** Present when `Debug` logs are on. */
  readonly log: AttemptLog | undefined
}

/** The state of a call's log: the attempt, when the last one ended, the status its answer had. */
interface AttemptLog {
  attempt: number
  lastEnd: number | undefined
  status: number | undefined
}

/** The clock of the live runtime: only under it does a plain attempt time out with a timer. */
const liveClock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** `setTimeout` fires at once beyond this; longer timeouts fall back to `Effect.timeoutFail`. */
const maxTimerMillis = 2 ** 31 - 1

const subject = "client options"

const invalidOption = (path: string, issue: string, of: string = subject) => new ValidationError({ path, issue, subject: of })

const decodeDuration = (path: string, input: Duration.DurationInput, subject?: string) =>
  Option.match(Duration.decodeUnknown(input), {
    onNone: () => Either.left(invalidOption(path, "expected a duration", subject)),
    onSome: (duration) =>
      Duration.greaterThan(duration, Duration.zero)
        ? Either.right(duration)
        : Either.left(invalidOption(path, "expected a positive duration", subject))
  })

const isPositiveInt = (n: number) => Number.isSafeInteger(n) && n > 0

/** A header value (and the token) may hold visible ASCII, spaces and tabs: no CR, LF, NUL. */
const headerValue = /^[\t\x20-\x7e]*$/

/** An HTTP token (RFC 9110 §5.6.2), what a header name must be. */
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * Headers the client sets itself (`authorization`, from the token) or that would make every
 * request fail on the transports (framing is theirs).
 */
const refusedHeaders: ReadonlyMap<string, string> = new Map([
  ["authorization", "the client sends the token option as the Authorization header"],
  ["content-length", "the transport frames the body"],
  ["transfer-encoding", "the transport frames the body"],
  ["keep-alive", "the transport manages connections"],
  ["upgrade", "the transport manages connections"],
  ["expect", "the transport does not support it"]
])

/** The host for a message: user info, which may hold a password, becomes `***`. */
const showHost = (host: string): string => {
  const at = host.lastIndexOf("@")
  if (at === -1) return JSON.stringify(host)
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(host)?.[0] ?? ""
  return JSON.stringify(`${scheme}***${host.slice(at)}`)
}

/** `totalRetries` and `retrySchedule`, of the client's options or a call's. */
const checkRetries = (
  options: Pick<CallOverrides, "totalRetries" | "retrySchedule">,
  of: string = subject
): ValidationError | undefined => {
  const { retrySchedule, totalRetries } = options
  if (totalRetries !== undefined && (!Number.isSafeInteger(totalRetries) || totalRetries < 0)) {
    return invalidOption("totalRetries", "expected a non-negative integer", of)
  }
  if (retrySchedule !== undefined && !Schedule.isSchedule(retrySchedule)) {
    return invalidOption("retrySchedule", "expected a Schedule", of)
  }
  return undefined
}

const checkHeaders = (headers: unknown, of: string = subject): ValidationError | undefined => {
  const invalidOption = (path: string, issue: string) => new ValidationError({ path, issue, subject: of })
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    return invalidOption("headers", "expected an object of header names and values")
  }
  const seen = new Set<string>()
  for (const name of Object.keys(headers)) {
    // an invalid name may hold anything: shown escaped and cut short, never used as the path
    if (!headerName.test(name)) {
      return invalidOption("headers", `${JSON.stringify(name.slice(0, 64))} is not a header name (an HTTP token)`)
    }
    const lower = name.toLowerCase()
    const refused = refusedHeaders.get(lower)
    if (refused !== undefined) return invalidOption(`headers.${name}`, `may not be set: ${refused}`)
    if (seen.has(lower)) return invalidOption(`headers.${name}`, "given twice (header names ignore case)")
    seen.add(lower)
    // values may be secrets: never shown
    const value: unknown = (headers as Record<string, unknown>)[name]
    if (typeof value !== "string") return invalidOption(`headers.${name}`, "expected a string")
    if (!headerValue.test(value)) {
      return invalidOption(
        `headers.${name}`,
        "the value may hold only visible ASCII characters, spaces and tabs (no CR, LF, NUL or other control characters; encode other text, e.g. with encodeURIComponent)"
      )
    }
  }
  return undefined
}

/** Applies the defaults of DESIGN §4 and checks every option. */
const resolveOptions = (
  untyped: AlephAlphaHttpOptions
): Effect.Effect<ResolvedOptions, ValidationError> =>
  Effect.gen(function*() {
    const options = (yield* copyOptions(untyped, subject)) as Partial<AlephAlphaHttpOptions>
    if (!Redacted.isRedacted(options.token) || typeof Redacted.value(options.token) !== "string") {
      return yield* invalidOption("token", "expected a Redacted string (Redacted.make(token))")
    }
    if (Redacted.value(options.token).trim() === "") {
      return yield* invalidOption("token", "the token is empty")
    }
    // never echoed: a CR or LF would also end the Authorization header early
    if (!headerValue.test(Redacted.value(options.token))) {
      return yield* invalidOption(
        "token",
        "the token may hold only visible ASCII characters (it holds a control character such as CR, LF or NUL, or a non-ASCII one)"
      )
    }
    const host = options.host ?? defaultHost
    if (typeof host !== "string") {
      return yield* invalidOption("host", "expected a string")
    }
    let url: URL
    try {
      url = new URL(host)
    } catch {
      return yield* invalidOption("host", `not a URL: ${showHost(host)}`)
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return yield* invalidOption("host", `expected an http or https URL, got ${showHost(host)}`)
    }
    // it would be printed with every URL in an error message, password and all
    if (url.username !== "" || url.password !== "") {
      return yield* invalidOption(
        "host",
        `the base URL may not carry user info (${showHost(host)}): send credentials with the token or the headers option`
      )
    }
    if (url.search !== "" || url.hash !== "") {
      return yield* invalidOption("host", "the base URL may not carry a query or a fragment")
    }
    const totalRetries = options.totalRetries ?? 8
    const badRetries = checkRetries({ totalRetries, retrySchedule: options.retrySchedule })
    if (badRetries !== undefined) return yield* badRetries
    const requestId = options.requestId ?? false
    const adaptRetrySchedule = options.adaptRetrySchedule ?? identity
    if (typeof adaptRetrySchedule !== "function") {
      return yield* invalidOption("adaptRetrySchedule", "expected a function")
    }
    if (typeof requestId !== "boolean" && typeof requestId !== "function") {
      return yield* invalidOption("requestId", "expected a boolean or a function that returns an id")
    }
    const maxEventSize = options.maxEventSize ?? 8 * 1024 * 1024
    if (!isPositiveInt(maxEventSize)) {
      return yield* invalidOption("maxEventSize", "expected a positive integer number of bytes")
    }
    const maxResponseSize = options.maxResponseSize ?? 64 * 1024 * 1024
    if (!isPositiveInt(maxResponseSize)) {
      return yield* invalidOption("maxResponseSize", "expected a positive integer number of bytes")
    }
    if (options.tags !== undefined && !options.tags.every((tag) => typeof tag === "string")) {
      return yield* invalidOption("tags", "expected an array of strings")
    }
    const headers = options.headers ?? {}
    const badHeader = checkHeaders(headers)
    if (badHeader !== undefined) return yield* badHeader
    return {
      token: options.token,
      host: host.replace(/\/+$/, "") + "/",
      hosting: options.hosting,
      nice: options.nice ?? false,
      tags: options.tags,
      requestTimeout: yield* decodeDuration("requestTimeout", options.requestTimeout ?? Duration.seconds(305)),
      streamIdleTimeout: yield* decodeDuration("streamIdleTimeout", options.streamIdleTimeout ?? Duration.seconds(120)),
      maxEventSize,
      maxResponseSize,
      retrySchedule: adaptRetrySchedule(options.retrySchedule ?? retrySchedule({ totalRetries })),
      headers,
      recordContent: options.recordContent ?? false,
      requestId: requestId === true ? randomRequestId : requestId === false ? undefined : requestId,
      adaptRetrySchedule: options.adaptRetrySchedule
    }
  }).pipe(
    // the checks read values of untyped code (a token, tags, headers, durations), which may
    // throw when read: a getter, a Proxy trap, a revoked Proxy
    Effect.catchAllDefect((thrown) => Effect.fail(validationErrorFromThrow(thrown, untyped, subject)))
  )

// ---------------------------------------------------------------------------------------------
// per-call overrides and request ids

/** `CallOverrides` after validation; `undefined` for what is not overridden. */
interface ResolvedOverrides {
  readonly requestTimeout: Duration.Duration | undefined
  readonly retrySchedule: Schedule.Schedule<unknown, AlephAlphaError> | undefined
  readonly headers: Readonly<Record<string, string>> | undefined
}

const overridesSubject = "call options"

/** Checks overrides from untyped code (read once: their getters may throw). */
const resolveOverrides = (untyped: CallOverrides): Either.Either<ResolvedOverrides, ValidationError> => {
  try {
    const copied = copyOptions(untyped, overridesSubject)
    if (Either.isLeft(copied)) return Either.left(copied.left)
    const options = copied.right as Partial<CallOverrides>
    let requestTimeout: Duration.Duration | undefined
    if (options.requestTimeout !== undefined) {
      const decoded = decodeDuration("requestTimeout", options.requestTimeout, overridesSubject)
      if (Either.isLeft(decoded)) return Either.left(decoded.left)
      requestTimeout = decoded.right
    }
    const badRetries = checkRetries(options, overridesSubject)
    if (badRetries !== undefined) return Either.left(badRetries)
    const totalRetries = options.totalRetries
    const schedule = options.retrySchedule ?? (totalRetries === undefined ? undefined : retrySchedule({ totalRetries }))
    // checked as copied (read once), unless it is no object at all
    const headers = typeof options.headers === "object" && options.headers !== null && !Array.isArray(options.headers)
      ? { ...options.headers }
      : options.headers
    const badHeader = headers === undefined ? undefined : checkHeaders(headers, overridesSubject)
    if (badHeader !== undefined) return Either.left(badHeader)
    return Either.right({ requestTimeout, retrySchedule: schedule, headers })
  } catch (thrown) {
    return Either.left(validationErrorFromThrow(thrown, untyped, overridesSubject))
  }
}

/** `base` with `extra`'s headers, which replace any of the same name whatever its case. */
const mergeHeaders = (
  base: Readonly<Record<string, string>> | undefined,
  extra: Readonly<Record<string, string>> | undefined
): Readonly<Record<string, string>> | undefined => {
  if (base === undefined || extra === undefined) return extra ?? base
  const replaced = new Set(Object.keys(extra).map((name) => name.toLowerCase()))
  const merged: Record<string, string> = {}
  for (const name of Object.keys(base)) if (!replaced.has(name.toLowerCase())) merged[name] = base[name]!
  return Object.assign(merged, extra)
}

/** The overrides in force: read once per call by the transport, `undefined` (nothing to do) by default. */
const currentOverrides = FiberRef.unsafeMake<ResolvedOverrides | undefined>(undefined)

/** Overrides applied inside others win where both set a field. */
const withOverrides = (inner: ResolvedOverrides) => (outer: ResolvedOverrides | undefined): ResolvedOverrides =>
  outer === undefined ? inner : {
    requestTimeout: inner.requestTimeout ?? outer.requestTimeout,
    retrySchedule: inner.retrySchedule ?? outer.retrySchedule,
    headers: mergeHeaders(outer.headers, inner.headers)
  }

/** An effect or a stream that may also fail with a `ValidationError` (one signature: overloads would not `pipe`). */
export type WithValidationError<S> = S extends Effect.Effect<infer A, infer E, infer R> ? Effect.Effect<A, E | ValidationError, R>
  : S extends Stream.Stream<infer A, infer E, infer R> ? Stream.Stream<A, E | ValidationError, R>
  : never

/**
 * Runs an effect or a stream with the client's options overridden for every call made in it
 * (see `CallOverrides`); invalid overrides fail it with a `ValidationError`, before any call.
 */
const withCallOptions = (
  options: CallOverrides
): <S extends Effect.Effect<any, any, any> | Stream.Stream<any, any, any>>(self: S) => WithValidationError<S> => {
  const resolved = resolveOverrides(options)
  return ((self: Effect.Effect<unknown, unknown, unknown> | Stream.Stream<unknown, unknown, unknown>) => {
    if (Either.isLeft(resolved)) {
      return Stream.StreamTypeId in self ? Stream.fail(resolved.left) : Effect.fail(resolved.left)
    }
    const apply = withOverrides(resolved.right)
    // each pull of a stream runs with them: a stream may be pulled from more than one fiber
    return Stream.StreamTypeId in self
      ? Stream.unwrapScoped(
        Effect.map(
          Stream.toPull(self),
          (pull) => Stream.repeatEffectChunkOption(Effect.locallyWith(pull, currentOverrides, apply))
        )
      )
      : Effect.locallyWith(self, currentOverrides, apply)
  }) as never
}

/** A random UUID, where `crypto.randomUUID` exists (it may not: e.g. a page served over plain HTTP). */
const randomRequestId = (): string => {
  const crypto = (globalThis as { readonly crypto?: { readonly randomUUID?: () => string } }).crypto
  if (typeof crypto?.randomUUID === "function") return crypto.randomUUID()
  let id = ""
  for (let i = 0; i < 32; i++) id += Math.floor(Math.random() * 16).toString(16)
  return id
}

const maxRequestId = 256

/** The id the `requestId` function makes, checked: it is sent as a header. */
const makeRequestId = (make: () => string): Either.Either<string, ValidationError> => {
  let id: unknown
  try {
    id = make()
  } catch (thrown) {
    return Either.left(invalidOption("requestId", `the function threw: ${describeThrown(thrown).split("\n")[0]}`))
  }
  return typeof id === "string" && id !== "" && id.length <= maxRequestId && headerValue.test(id)
    ? Either.right(id)
    : Either.left(invalidOption("requestId", `the function must return 1 to ${maxRequestId} visible ASCII characters`))
}

/** The request id the headers send, whatever the case of its name. */
const requestIdIn = (headers: Readonly<Record<string, string>>): string | undefined => {
  for (const name of Object.keys(headers)) if (name.toLowerCase() === "x-request-id") return headers[name]
  return undefined
}

/** The error with `requestId`, where its class has the field and it has none yet. */
const withRequestId = <E>(error: E, requestId: string): E => {
  // the classes that have the field (their schema's `fields`), and errors without a value for it
  const Class = (error as object).constructor as (new(props: Record<string, unknown>) => E) & {
    readonly fields?: Readonly<Record<string, unknown>>
  }
  if (Class.fields === undefined || !("requestId" in Class.fields)) return error
  if ((error as { readonly requestId?: unknown }).requestId !== undefined) return error
  const props: Record<string, unknown> = {}
  for (const key of Object.keys(error as object)) if (key !== "_tag") props[key] = (error as Record<string, unknown>)[key]
  // a `message` or `cause` field is an own property, but not enumerable
  for (const key of ["message", "cause"]) {
    if (Object.hasOwn(error as object, key)) props[key] = (error as Record<string, unknown>)[key]
  }
  return new Class({ ...props, requestId })
}

// ---------------------------------------------------------------------------------------------
// error mapping

const describeCause = (cause: unknown): string => {
  if (cause instanceof Error) {
    const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : ""
    return `${cause.message}${inner}`
  }
  return String(cause)
}

// Keep the platform error's inner cause only: the platform error holds the request, headers and all.
// (The direct send passes undici's error as `{ cause }`.)
const transportError = (what: string, error: { readonly cause?: unknown }, redactor: Redactor): TransportError =>
  new TransportError({
    message: redactor.text(`${what}: ${describeCause(error.cause ?? error)}`),
    cause: redactor.cause(error.cause)
  })

const parseRetryAfter = (headers: Readonly<Record<string, string | undefined>>, now: number) => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined && ms.trim() !== "" && Number.isFinite(Number(ms)) && Number(ms) >= 0) {
    return Duration.millis(Number(ms))
  }
  const value = headers["retry-after"]?.trim()
  if (value === undefined || value === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return seconds >= 0 ? Duration.seconds(seconds) : undefined
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}

const maxErrorText = 4096

/** Of an error body only the start is read: a little more than what is kept of it. */
const maxErrorBody = 64 * 1024

const parseErrorBody = (
  text: string,
  redact: (text: string) => string
): { readonly error: string; readonly code?: string } => {
  try {
    const json: unknown = JSON.parse(text)
    if (typeof json === "object" && json !== null && "error" in json && typeof json.error === "string") {
      return "code" in json && typeof json.code === "string"
        ? { error: redact(json.error), code: redact(json.code) }
        : { error: redact(json.error) }
    }
  } catch {
    // proxies answer in plain text
  }
  // redacted before it is cut, so no part of a secret is left at the cut
  const redacted = redact(text)
  return { error: redacted.length > maxErrorText ? `${redacted.slice(0, maxErrorText)}…` : redacted }
}

// what a browser's fetch makes of a redirect when told not to follow it
const opaqueRedirect = "an opaque answer, as a browser shows a redirect that is not followed (its Location is hidden)"

const keepText = (text: string) => text

/** The answer's request id (`x-request-id`, else `request-id`), cut to a length a message can hold. */
const answerRequestId = (headers: Readonly<Record<string, string | undefined>>): string | undefined =>
  (headers["x-request-id"] ?? headers["request-id"])?.slice(0, maxRequestId)

/**
 * Maps a non-2xx answer to its error class (DESIGN §4). `redact` cleans the server's text
 * (the transport removes its token with it); default: kept as it is. The error's `requestId`
 * is the answer's, or else `sentRequestId`.
 */
export const errorFromStatus = (
  status: number,
  text: string,
  headers: Readonly<Record<string, string | undefined>>,
  now: number,
  redact: (text: string) => string = keepText,
  sentRequestId?: string | undefined
): HttpStatusError => {
  const retryAfter = parseRetryAfter(headers, now)
  const answered = answerRequestId(headers)
  const requestId = answered === undefined ? sentRequestId : redact(answered)
  const fields = {
    status,
    ...parseErrorBody(text, redact),
    ...(retryAfter === undefined ? {} : { retryAfter }),
    ...(requestId === undefined ? {} : { requestId })
  }
  switch (status) {
    case 400:
      return new BadRequestError(fields)
    case 401:
      return new AuthenticationError(fields)
    case 402:
      return new QuotaError(fields)
    case 403:
      return new PermissionDeniedError(fields)
    case 404:
      return new NotFoundError(fields)
    case 408:
      return new RequestTimeoutError({ origin: "server", ...fields })
    case 429:
      return new RateLimitError(fields)
    case 503:
      return new BusyError(fields)
  }
  if (status >= 500 && status <= 599) return new ServerError(fields)
  // API calls follow no redirect (a POST re-sent as a GET elsewhere would "succeed")
  const location = status >= 300 && status <= 399 ? headers.location : undefined
  if (location !== undefined) return new UnexpectedStatusError({ ...fields, location: redact(location) })
  return status === 0 && fields.error === ""
    ? new UnexpectedStatusError({ ...fields, error: opaqueRedirect })
    : new UnexpectedStatusError(fields)
}

const subjectOf = (schema: Schema.Schema.Any): string | undefined => {
  const ast = schema.ast
  const identifier = SchemaAST.getIdentifierAnnotation(ast).pipe(
    // a Schema.Class keeps its identifier on the declaration side of its transformation
    Option.orElse(() => ast._tag === "Transformation" ? SchemaAST.getIdentifierAnnotation(ast.to) : Option.none())
  )
  return Option.getOrUndefined(identifier)?.replace(/^.*\//, "")
}

const decodeErrorFromParseError = (what: string, error: ParseResult.ParseError, redactor: Redactor) =>
  new DecodeError({ message: redactor.text(`${what} did not match the expected shape: ${formatParseError(error)}`) })

/** The `DecodeError` for a text that is not JSON; the parser quotes the text where it failed. */
const notJsonError = (what: string, cause: unknown, redactor: Redactor): DecodeError =>
  new DecodeError({
    message: redactor.text(`${what} is not valid JSON: ${describeCause(cause)}`),
    cause: redactor.cause(cause)
  })

const tooLargeError = (
  request: Outgoing,
  response: HttpClientResponse.HttpClientResponse,
  limit: number
): DecodeError => {
  const declared = declaredLength(response)
  const size = declared !== undefined && declared > limit
    ? `declares ${declared} bytes (Content-Length), more than`
    : "is larger than"
  return new DecodeError({
    message: `The answer to ${request.method} ${request.url} ${size} maxResponseSize (${limit} bytes): the request was aborted`
  })
}

/** Where `JSON.stringify` gives up on `value` (a BigInt or a cycle), as a dotted wire path; best effort. */
const unserializablePath = (value: unknown): string | undefined => {
  try {
    return unserializablePathFrom(value, [], new Set())
  } catch {
    // nested too deeply to walk: the stack overflowed
    return undefined
  }
}

const unserializablePathFrom = (value: unknown, path: ReadonlyArray<string>, seen: Set<object>): string | undefined => {
  if (typeof value === "bigint") return path.join(".")
  if (typeof value !== "object" || value === null) return undefined
  if (seen.has(value)) return path.join(".")
  seen.add(value)
  for (const key of Object.keys(value)) {
    const found = unserializablePathFrom((value as Record<string, unknown>)[key], [...path, key], seen)
    if (found !== undefined) return found
  }
  seen.delete(value)
  return undefined
}

// ---------------------------------------------------------------------------------------------
// the service

/** The transport's tag. */
export class AlephAlphaHttp extends Context.Tag("aleph-alpha-client/AlephAlphaHttp")<
  AlephAlphaHttp,
  AlephAlphaHttpService
>() {
  /** Builds the transport over the `HttpClient` in context. */
  static readonly make = (options: AlephAlphaHttpOptions) => make(options)
  /**
   * Runs an effect or a stream with the client's options overridden for every call made in it:
   * `requestTimeout`, `totalRetries` or `retrySchedule`, extra `headers` (see `CallOverrides`).
   * Applied inside another, its fields win. Invalid overrides fail it with a `ValidationError`.
   */
  static readonly withCallOptions = withCallOptions
  /** Applies the defaults and checks every option, as `layer` does; a bad one is a `ValidationError`. */
  static readonly resolveOptions = (options: AlephAlphaHttpOptions) => resolveOptions(options)
  /** The transport over the `HttpClient` the application provides. */
  static readonly layer = (options: AlephAlphaHttpOptions): Layer.Layer<AlephAlphaHttp, ValidationError, HttpClient.HttpClient> =>
    Layer.effect(AlephAlphaHttp, make(options))
  /**
   * Like `layer`, with the token from `ALEPH_ALPHA_TOKEN` and the host from `ALEPH_ALPHA_HOST`
   * unless `options` gives them.
   */
  static readonly layerConfig = (
    options: Partial<AlephAlphaHttpOptions> = {}
  ): Layer.Layer<AlephAlphaHttp, ValidationError | ConfigError.ConfigError, HttpClient.HttpClient> =>
    Layer.effect(AlephAlphaHttp, Effect.flatMap(config(options), make))
}

/** Reads the options, taking the token and host from the environment where not given. */
const config = (
  untyped: Partial<AlephAlphaHttpOptions> = {}
): Effect.Effect<AlephAlphaHttpOptions, ValidationError | ConfigError.ConfigError> =>
  Effect.gen(function*() {
    const options = (yield* copyOptions(untyped, subject)) as Partial<AlephAlphaHttpOptions>
    const token = options.token ?? (yield* Config.redacted("ALEPH_ALPHA_TOKEN"))
    const host = options.host ?? Option.getOrUndefined(yield* Config.option(Config.string("ALEPH_ALPHA_HOST")))
    return { ...options, token, host }
  })

const make = (
  options: AlephAlphaHttpOptions
): Effect.Effect<AlephAlphaHttpService, ValidationError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const resolved = yield* resolveOptions(options)
    // The endpoint methods have spans of their own (Telemetry.ts); the platform's span per HTTP
    // request would halve the requests/s of a busy client, so it is off and the trace context
    // is propagated from our span below.
    const contextClient = yield* HttpClient.HttpClient
    const httpClient = HttpClient.withTracerDisabledWhen(contextClient, () => true)
    // our undici client: requests go to undici directly (see DirectSend), to the origin and
    // under the path of the base URL, both computed once
    const direct = directSenderOf(contextClient)
    const base = new URL(resolved.host)
    // Names in lower case, as the platform's `Headers` have them: one entry per header, so the
    // direct send's plain object sends each once, and ours (and the trace context) replace a
    // user's of the same name on both paths.
    const withAuth = (headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> => {
      const all: Record<string, string> = {}
      for (const name of Object.keys(headers)) all[name.toLowerCase()] = headers[name]!
      all["user-agent"] = userAgent
      all.authorization = `Bearer ${Redacted.value(resolved.token)}`
      return all
    }
    // applied to every error made of what a server sent or a transport said
    const redactor = makeRedactor(Redacted.value(resolved.token))

    const url = (path: string) => resolved.host + path

    // A call goes by the client's options unless overrides are in force, request ids are on or
    // `Debug` logs are: then (only) it gets settings of its own, read once when it starts.
    const defaultCall: Call = {
      timeout: resolved.requestTimeout,
      timeoutMillis: Duration.toMillis(resolved.requestTimeout),
      schedule: resolved.retrySchedule,
      headers: withAuth(resolved.headers),
      requestId: requestIdIn(resolved.headers),
      log: undefined
    }
    const defaultCallRight = Either.right(defaultCall)

    const callOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): Either.Either<Call, ValidationError> => {
      const overrides = fiber.getFiberRef(currentOverrides)
      const logged = LogLevel.lessThanEqual(fiber.getFiberRef(FiberRef.currentMinimumLogLevel), LogLevel.Debug)
      if (overrides === undefined && resolved.requestId === undefined && !logged) return defaultCallRight
      const headers = mergeHeaders(resolved.headers, overrides?.headers)!
      let requestId = headers === resolved.headers ? defaultCall.requestId : requestIdIn(headers)
      let sent = headers
      if (requestId === undefined && resolved.requestId !== undefined) {
        const made = makeRequestId(resolved.requestId)
        if (Either.isLeft(made)) return Either.left(made.left)
        requestId = made.right
        sent = { ...headers, "x-request-id": requestId }
      }
      const timeout = overrides?.requestTimeout ?? resolved.requestTimeout
      return Either.right({
        timeout,
        timeoutMillis: Duration.toMillis(timeout),
        schedule: overrides?.retrySchedule === undefined
          ? resolved.retrySchedule
          : resolved.adaptRetrySchedule?.(overrides.retrySchedule) ?? overrides.retrySchedule,
        headers: sent === resolved.headers ? defaultCall.headers : withAuth(sent),
        requestId,
        log: logged ? { attempt: 0, lastEnd: undefined, status: undefined } : undefined
      })
    }

    const currentCall = Effect.withFiberRuntime<Call, ValidationError>((fiber) => callOf(fiber))

    /** Runs `f` with the call's settings; the errors it makes carry the call's request id. */
    const withCall = <A, E, R>(f: (call: Call) => Effect.Effect<A, E, R>): Effect.Effect<A, E | ValidationError, R> =>
      Effect.withFiberRuntime<A, E | ValidationError, R>((fiber) => {
        const call = callOf(fiber)
        if (Either.isLeft(call)) return Effect.fail(call.left)
        const requestId = call.right.requestId
        const effect = f(call.right)
        return requestId === undefined ? effect : Effect.mapError(effect, (error) => withRequestId(error, requestId))
      })

    /**
     * The attempt, logged at `Debug` when it ends: method, path, status or error, attempt
     * number, duration and the wait before it. Never a header, a body or an error's text.
     */
    const logged = <A, E extends AlephAlphaError, R>(
      request: Outgoing,
      call: Call,
      log: AttemptLog,
      attempt: Effect.Effect<A, E, R>
    ): Effect.Effect<A, E, R> =>
      Effect.suspend(() => {
        const number = ++log.attempt
        log.status = undefined
        return Effect.flatMap(Clock.currentTimeMillis, (start) =>
          Effect.onExit(attempt, (exit) =>
            Effect.flatMap(Clock.currentTimeMillis, (end) => {
              const waited = log.lastEnd === undefined ? undefined : start - log.lastEnd
              log.lastEnd = end
              const failure = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
              const status = failure !== undefined && "status" in failure ? failure.status : log.status
              const path = request.path
              const annotations: Record<string, unknown> = {
                "aleph_alpha.method": request.method,
                "aleph_alpha.path": path,
                "aleph_alpha.attempt": number,
                "aleph_alpha.duration_ms": end - start
              }
              if (status !== undefined) annotations["aleph_alpha.status"] = status
              if (failure !== undefined) annotations["aleph_alpha.error"] = failure._tag
              if (waited !== undefined) annotations["aleph_alpha.retry_wait_ms"] = waited
              if (call.requestId !== undefined) annotations["aleph_alpha.request_id"] = call.requestId
              const outcome = failure?._tag ?? (Exit.isSuccess(exit) ? "" : "interrupted")
              const what = [status, outcome].filter((part) => part !== undefined && part !== "").join(" ")
              const after = waited === undefined ? "" : `, after waiting ${waited} ms`
              return Effect.annotateLogs(
                Effect.logDebug(`${request.method} ${path}: ${what} (attempt ${number}, ${end - start} ms${after})`),
                annotations
              )
            })))
      })

    // The schedule's driver is built at the first retryable failure, not on every call: most
    // calls never retry. The retry count goes onto the endpoint method's span (Telemetry.ts),
    // which starts at 0: the request's own, or else the current span.
    const retrying = <A, E extends AlephAlphaError, R>(
      request: Outgoing,
      call: Call,
      once: Effect.Effect<A, E, R>
    ): Effect.Effect<A, E, R> => {
      const attempt = call.log === undefined ? once : logged(request, call, call.log, once)
      return Effect.catchAll(attempt, (error) =>
        isRetryable(error)
          ? Effect.flatMap(Schedule.driver(call.schedule), (driver) => retryLoop(request, attempt, driver, error, 0))
          : Effect.fail(error))
    }

    const retryLoop = <A, E extends AlephAlphaError, R>(
      request: Outgoing,
      attempt: Effect.Effect<A, E, R>,
      driver: Schedule.ScheduleDriver<unknown, AlephAlphaError>,
      error: E,
      retries: number
    ): Effect.Effect<A, E, R> =>
      Effect.matchEffect(driver.next(error), {
        onFailure: () => Effect.zipRight(annotateRetries(request, retries), Effect.fail(error)),
        onSuccess: () =>
          Effect.matchEffect(attempt, {
            onFailure: (next) =>
              isRetryable(next)
                ? retryLoop(request, attempt, driver, next, retries + 1)
                : Effect.zipRight(annotateRetries(request, retries + 1), Effect.fail(next)),
            onSuccess: (value) => Effect.as(annotateRetries(request, retries + 1), value)
          })
      })

    const annotateRetries = ({ span }: Outgoing, retries: number) =>
      span === undefined
        ? Effect.annotateCurrentSpan("aleph_alpha.retry_count", retries)
        : Effect.sync(() => span.attribute("aleph_alpha.retry_count", retries))

    // A request belongs to an owner: a scope (the attempt's of a plain call, the stream's), or
    // on the direct send an `AttemptSignal`. Closing the scope or aborting the signal (failure,
    // timeout, interruption at any point, even before the body is pulled) aborts the request
    // and frees the connection.
    const scopedClient = HttpClient.withScope(httpClient)
    const origin = base.origin
    const directPath = base.pathname

    /**
     * The headers of a request sent now: with the W3C `traceparent` of the request's span (or
     * else the current span), unless propagation is off.
     */
    const headersFor = (
      request: Outgoing,
      call: Call,
      fiber: Fiber.RuntimeFiber<unknown, unknown>
    ): Readonly<Record<string, string>> => {
      if (!fiber.getFiberRef(HttpClient.currentTracerPropagation)) return call.headers
      // read from the context: `Effect.currentSpan` would build an exception when there is none
      const span = request.span ?? Option.getOrUndefined(Context.getOption(fiber.currentContext, Tracer.ParentSpan))
      return span?._tag === "Span" ? { ...call.headers, ...HttpTraceContext.toHeaders(span) } : call.headers
    }

    // API calls follow no redirect. The platform's fetch client follows them unless its
    // `RequestInit` (read from the context; other clients ignore it) says `redirect: "manual"`,
    // so each request's context carries one: the application's own, from the call's context or
    // else the layer's, with that added. Built again only when the call's context changes.
    // (undici follows none: the direct send needs nothing.)
    const layerRequestInit = Option.getOrUndefined(yield* Effect.serviceOption(FetchHttpClient.RequestInit))
    let lastContext: Context.Context<never> | undefined
    let lastWithManualRedirects: Context.Context<never> = Context.empty()
    const withManualRedirects = (context: Context.Context<never>): Context.Context<never> => {
      if (context !== lastContext) {
        const init = Option.getOrElse(Context.getOption(context, FetchHttpClient.RequestInit), () => layerRequestInit)
        lastWithManualRedirects = Context.add(context, FetchHttpClient.RequestInit, { ...init, redirect: "manual" })
        lastContext = context
      }
      return lastWithManualRedirects
    }

    /**
     * The platform's exchange: the request is made here with all its headers at once (each later
     * header change copies them all) and executed in `scope`, following no redirects, with one
     * change of context.
     */
    const execute = (request: Outgoing, call: Call, scope: Scope.Scope) =>
      Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((fiber) =>
        Effect.provide(
          scopedClient.execute(
            HttpClientRequest.make(request.method)(request.url, {
              headers: headersFor(request, call, fiber),
              body: request.body === undefined ? HttpBody.empty : HttpBody.text(request.body, "application/json")
            })
          ),
          Context.add(withManualRedirects(fiber.currentContext), Scope.Scope, scope)
        )
      ).pipe(
        Effect.catchAll((error) =>
          Effect.fail(
            error._tag === "RequestError" && error.reason === "InvalidUrl"
              ? invalidOption("host", `cannot build a URL for ${request.url}`)
              : transportError(`Connection failed for ${request.method} ${request.url}`, error, redactor)
          )
        )
      )

    /** The headers with the body's content type, or without any when there is no body, as the platform's request has them. */
    const bodyHeaders = (headers: Readonly<Record<string, string>>, body: string | undefined) => {
      if (body !== undefined) return { ...headers, "content-type": "application/json" }
      if (!("content-type" in headers)) return headers
      const { "content-type": _, ...rest } = headers
      return rest
    }

    /** The direct exchange over our undici client (`direct`): aborted through `signal`, and when interrupted. */
    const executeDirect = (send: DirectSender, request: Outgoing, call: Call, signal: AttemptSignal) =>
      Effect.withFiberRuntime<DirectResponse, TransportError>((fiber) => {
        const headers = headersFor(request, call, fiber)
        return Effect.async<DirectResponse, TransportError>((resume) => {
          send({
            method: request.method,
            origin,
            path: directPath + request.path,
            headers: bodyHeaders(headers, request.body),
            body: request.body,
            signal
          }).then(
            (response) => resume(Effect.succeed(response)),
            (cause: unknown) =>
              resume(Effect.fail(transportError(`Connection failed for ${request.method} ${request.url}`, { cause }, redactor)))
          )
          return Effect.sync(() => signal.abort())
        })
      })

    /** Sends the request, over our undici client when `owner` is a signal; a non-2xx answer becomes its error (its body read as text). */
    const send = (request: Outgoing, call: Call, owner: Scope.Scope | AttemptSignal) =>
      Effect.flatMap(
        owner instanceof AttemptSignal ? executeDirect(direct!, request, call, owner) : execute(request, call, owner),
        (response): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpStatusError | TransportError> => {
          if (call.log !== undefined) call.log.status = response.status
          return response.status >= 200 && response.status < 300
            ? Effect.succeed(response)
            : Effect.flatMap(readBody(request, response, maxErrorBody, true), (text) =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                Effect.fail(
                  errorFromStatus(response.status, text ?? "", response.headers, now, redactor.text, call.requestId)
                )))
        }
      )

    /** Reads at most `limit` bytes of the body (see `readText`). */
    const readBody = (
      request: Outgoing,
      response: HttpClientResponse.HttpClientResponse,
      limit: number,
      truncate: boolean
    ) =>
      Effect.mapError(
        readText(response, limit, truncate),
        (error) =>
          transportError(`Connection lost while reading the answer to ${request.method} ${request.url}`, error, redactor)
      )

    /** The whole body of a 2xx answer, within `maxResponseSize`. */
    const readAnswer = (request: Outgoing, response: HttpClientResponse.HttpClientResponse) =>
      Effect.flatMap(
        readBody(request, response, resolved.maxResponseSize, false),
        (text) =>
          text === undefined
            ? Effect.fail(tooLargeError(request, response, resolved.maxResponseSize))
            : Effect.succeed(text)
      )

    const requestTimeoutError = (call: Call, what: string) =>
      new RequestTimeoutError({
        origin: "client",
        error: `${what} within ${Duration.format(call.timeout)} (requestTimeout)`,
        timeout: call.timeout
      })

    /**
     * One attempt of a plain call: the whole body within `requestTimeout`. The request's owner
     * (a new scope, or on the direct send a new signal) is closed by a failure, which aborts the
     * request: an answer past `maxResponseSize` is not read on. Under the live clock a timer
     * closes it too, which costs next to nothing (over the platform, through the signal the
     * HttpClient gives every request, which all the platform's clients honour);
     * `Effect.timeoutFail` forks two fibers per call, which cost a busy client a third of its
     * requests/s. Under any other clock (`TestClock`) the attempt runs in `Effect.timeoutFail`,
     * so tests control the time.
     */
    const fetchText = (request: Outgoing, call: Call) => {
      const onTimeout = () => requestTimeoutError(call, `no complete answer to ${request.method} ${request.url}`)
      const attemptOf = (
        clock: Clock.Clock,
        owner: Scope.Scope | AttemptSignal,
        close: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<void>
      ) => {
        const attempt = Effect.flatMap(send(request, call, owner), (response) => readAnswer(request, response))
        const closeOnFailure = (exit: Exit.Exit<unknown, unknown>) => Exit.isSuccess(exit) ? Effect.void : close(exit)
        if (clock !== liveClock || !(call.timeoutMillis <= maxTimerMillis)) {
          return Effect.onExit(Effect.timeoutFail(attempt, { duration: call.timeout, onTimeout }), closeOnFailure)
        }
        let timedOut = false
        const timer = setTimeout(() => {
          timedOut = true
          // aborting fails the attempt where it waits
          Effect.runFork(close(Exit.void))
        }, call.timeoutMillis)
        return attempt.pipe(
          Effect.onExit((exit) => {
            clearTimeout(timer)
            return closeOnFailure(exit)
          }),
          Effect.mapError((error) => timedOut ? onTimeout() : error)
        )
      }
      return retrying(
        request,
        call,
        Effect.clockWith((clock) =>
          direct === undefined
            ? Effect.flatMap(Scope.make(), (scope) => attemptOf(clock, scope, (exit) => Scope.close(scope, exit)))
            : Effect.suspend(() => {
              const signal = new AttemptSignal()
              return attemptOf(clock, signal, () => Effect.sync(() => signal.abort()))
            })
        )
      )
    }

    const decodeJson = <A, I>(request: Outgoing, schema: Schema.Schema<A, I>) => {
      const decode = Schema.decodeUnknownEither(schema)
      const what = () => `The answer to ${request.method} ${request.url}`
      return withCall((call) => Effect.flatMap(fetchText(request, call), (text) => {
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch (cause) {
          return Effect.fail(notJsonError(what(), cause, redactor))
        }
        let decoded: Either.Either<A, ParseResult.ParseError>
        try {
          decoded = decode(json)
        } catch (cause) {
          // a recursive schema on an answer nested too deeply to walk
          return Effect.fail(new DecodeError({ message: redactor.text(`${what()} could not be decoded: ${describeThrown(cause)}`) }))
        }
        return Either.isRight(decoded)
          ? Effect.succeed(decoded.right)
          : Effect.fail(decodeErrorFromParseError(what(), decoded.left, redactor))
      }))
    }

    const get = (path: string): Outgoing => ({ method: "GET", path, url: url(path), body: undefined })

    /**
     * Checks the model and encodes the request (nothing is sent if either is invalid, whatever
     * untyped code passed), then injects model, hosting, tags.
     */
    const buildPost = <Req, ReqI>(
      post: PostRequest<Req, ReqI>,
      stream: boolean
    ): Either.Either<Outgoing, ValidationError> => {
      const takesModel = "model" in post
      if (takesModel) {
        const invalid = invalidModel(post.model)
        if (invalid !== undefined) return Either.left(invalid)
      }
      const encoded = encodeInput(post.schema, post.request, () => subjectOf(post.schema))
      if (Either.isLeft(encoded)) return Either.left(encoded.left)
      const body: Record<string, unknown> = { ...(encoded.right as Record<string, unknown>) }
      if (takesModel) body.model = post.model
      if (resolved.hosting !== undefined) body.hosting = resolved.hosting
      if (resolved.tags !== undefined) body.tags = resolved.tags
      if (stream) body.stream = true
      // free-form fields (tool parameters, JSON schemas) may hold what JSON cannot: a BigInt, a cycle
      let json: string
      try {
        json = JSON.stringify(body)
      } catch (cause) {
        const subject = subjectOf(post.schema)
        return Either.left(
          new ValidationError({
            path: unserializablePath(body) ?? "",
            issue: `cannot be sent as JSON (${describeThrown(cause).split("\n")[0]})`,
            ...(subject === undefined ? {} : { subject })
          })
        )
      }
      const path = resolved.nice ? `${post.path}?nice=true` : post.path
      return Either.right({ method: "POST", path, url: url(path), body: json, span: post.span })
    }

    const idleTimeoutError = () =>
      new RequestTimeoutError({
        origin: "client",
        error: `the stream stayed quiet for ${Duration.format(resolved.streamIdleTimeout)} (streamIdleTimeout)`,
        timeout: resolved.streamIdleTimeout
      })

    const sseOptions = { maxEventSize: resolved.maxEventSize }
    const idleMillis = Duration.toMillis(resolved.streamIdleTimeout)

    /** The values of a streamed answer: retried until its headers, then framed, parsed and timed per read. */
    const streamOf = (request: Outgoing, call: Call, fromData: ((data: string) => unknown) | undefined) =>
      Stream.unwrapScoped(Effect.gen(function*() {
        // The request's own scope, which the idle timer closes to abort it.
        const requestScope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
        // Retried only until the headers arrive: nothing has been delivered yet. Each attempt's
        // request belongs to the request's scope (on the direct send, through its signal).
        const onTimeout = () => requestTimeoutError(call, `no response headers for ${request.method} ${request.url}`)
        const response = yield* retrying(
          request,
          call,
          Effect.suspend(() => {
            if (direct === undefined) {
              return Effect.timeoutFail(send(request, call, requestScope), { duration: call.timeout, onTimeout })
            }
            const signal = new AttemptSignal()
            return Effect.zipRight(
              Scope.addFinalizer(requestScope, Effect.sync(() => signal.abort())),
              Effect.timeoutFail(send(request, call, signal), { duration: call.timeout, onTimeout })
            )
          })
        )
        const clock = yield* Effect.clock
        const what = `An event of ${request.method} ${request.url}`
        return response.stream.pipe(
          Stream.mapError((error) =>
            transportError(`Connection lost while streaming ${request.method} ${request.url}`, error, redactor)
          ),
          // Under any other clock (`TestClock`) `Stream.timeoutFail`, so tests control the time.
          (body) =>
            clock === liveClock && idleMillis <= maxTimerMillis
              ? failWhenIdle(body, idleMillis, () => Effect.runFork(Scope.close(requestScope, Exit.void)), idleTimeoutError)
              : Stream.timeoutFail(body, idleTimeoutError, resolved.streamIdleTimeout),
          // framing, [DONE] and JSON in one pass per read; the values before a bad event are
          // delivered, however the body was chunked
          decodeSseWith(sseOptions, () => {
            let done = false
            return (events: ReadonlyArray<SseEvent>, values: Array<unknown>) => {
              for (const event of events) {
                if (done) break
                if (event.data === "[DONE]") {
                  done = true
                  continue
                }
                const value = fromData?.(event.data)
                if (value !== undefined) {
                  values.push(value)
                  continue
                }
                try {
                  values.push(JSON.parse(event.data))
                } catch (cause) {
                  return notJsonError(what, cause, redactor)
                }
              }
              return undefined
            }
          })
        )
      }))

    const service: AlephAlphaHttpService = {
      options: resolved,
      redact: redactor.error,
      getJson: (path, schema) => decodeJson(get(path), schema),
      getText: (path) => withCall((call) => fetchText(get(path), call)),
      post: (post, schema) =>
        Effect.suspend(() => {
          const request = buildPost(post, false)
          return Either.isLeft(request) ? Effect.fail(request.left) : decodeJson(request.right, schema)
        }),
      postStream: (post, fromData) =>
        // built when the stream runs; every error after that carries the call's request id
        Stream.unwrap(Effect.map(Effect.zip(Effect.suspend(() => buildPost(post, true)), currentCall), ([request, call]) => {
          const requestId = call.requestId
          const events = streamOf(request, call, fromData)
          return requestId === undefined ? events : Stream.mapError(events, (error) => withRequestId(error, requestId))
        }))
    }
    return service
  })
