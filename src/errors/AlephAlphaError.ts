/**
 * The typed failures of every client call. Each class is a `Schema.TaggedError`, so it is a
 * real `Error` subclass (`instanceof` works) and carries a `_tag` for `Effect.catchTag`.
 */
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"

const Status = Schema.Int

/** Fields every HTTP-status error shares: the status, the API's `code` and its message. */
const HttpErrorFields = {
  status: Status,
  /** The API's machine-readable code (`MISSING_CAPABILITY`, `QUEUE_FULL`, …) when the body had one. */
  code: Schema.optional(Schema.String),
  /** The API's human-readable `error`, or the raw body text when it was not `{"error","code"}`. */
  error: Schema.String,
  /** The server's `Retry-After` / `retry-after-ms`, already turned into a delay. */
  retryAfter: Schema.optional(Schema.DurationFromSelf),
  /**
   * The request id: the answer's `x-request-id` (or `request-id`) header, or else the one the
   * client sent (`requestId` option, or an `x-request-id` header of yours). Absent when neither.
   */
  requestId: Schema.optional(Schema.String)
}

/** A wait as people read it: `250 ms`, `1.5 s`, `3 s`. */
const describeWait = (wait: Duration.Duration): string => {
  const millis = Duration.toMillis(wait)
  return millis < 1000 ? `${Math.round(millis)} ms` : `${Number((millis / 1000).toFixed(3))} s`
}

const describeHttp = (label: string, self: {
  readonly status: number
  readonly code?: string | undefined
  readonly error: string
  readonly retryAfter?: Duration.Duration | undefined
}): string => {
  const code = self.code === undefined ? "" : ` ${self.code}`
  const detail = self.error === "" ? "" : `: ${self.error}`
  // the server's wait, which a log line otherwise loses (the field is not in the message)
  const retryAfter = self.retryAfter === undefined || !Duration.isFinite(self.retryAfter)
    ? ""
    : ` (retry after ${describeWait(self.retryAfter)})`
  return `${label} (HTTP ${self.status}${code})${detail}${retryAfter}`
}

/** Bad input, found before anything was sent. `path` names the offending field. */
export class ValidationError extends Schema.TaggedError<ValidationError>(
  "aleph-alpha-client/ValidationError"
)("ValidationError", {
  /** Dotted path of the offending field (`"maximumTokens"`, `"prompt.0.data"`), `""` for the root. */
  path: Schema.String,
  /** What is wrong with it. */
  issue: Schema.String,
  /** The schema or option the input was checked against (`"CompletionRequest"`). */
  subject: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const where = this.path === "" ? "" : ` at ${this.path}`
    const subject = this.subject === undefined ? "input" : this.subject
    return `Invalid ${subject}${where}: ${this.issue}`
  }
}

/** HTTP 400: the API rejected the request (bad field, model lacks the capability, …). */
export class BadRequestError extends Schema.TaggedError<BadRequestError>(
  "aleph-alpha-client/BadRequestError"
)("BadRequestError", HttpErrorFields) {
  override get message(): string {
    return describeHttp("Bad request", this)
  }
}

/** HTTP 401: the token is missing or invalid. */
export class AuthenticationError extends Schema.TaggedError<AuthenticationError>(
  "aleph-alpha-client/AuthenticationError"
)("AuthenticationError", HttpErrorFields) {
  override get message(): string {
    return describeHttp("Authentication failed", this)
  }
}

/** HTTP 402: out of credits or quota. Never retried. */
export class QuotaError extends Schema.TaggedError<QuotaError>(
  "aleph-alpha-client/QuotaError"
)("QuotaError", HttpErrorFields) {
  override get message(): string {
    return describeHttp("Quota exhausted", this)
  }
}

/** HTTP 403: the token may not do this. */
export class PermissionDeniedError extends Schema.TaggedError<PermissionDeniedError>(
  "aleph-alpha-client/PermissionDeniedError"
)("PermissionDeniedError", HttpErrorFields) {
  override get message(): string {
    return describeHttp("Permission denied", this)
  }
}

/** HTTP 404, e.g. `UNKNOWN_MODEL`. */
export class NotFoundError extends Schema.TaggedError<NotFoundError>(
  "aleph-alpha-client/NotFoundError"
)("NotFoundError", HttpErrorFields) {
  override get message(): string {
    return describeHttp("Not found", this)
  }
}

/**
 * A timeout: HTTP 408 from the server (`origin: "server"`), or one of the client's own
 * timeouts (`origin: "client"`: `requestTimeout` or `streamIdleTimeout` ran out).
 */
export class RequestTimeoutError extends Schema.TaggedError<RequestTimeoutError>(
  "aleph-alpha-client/RequestTimeoutError"
)("RequestTimeoutError", {
  origin: Schema.Literal("client", "server"),
  /** 408 when the server timed out. */
  status: Schema.optional(Status),
  code: Schema.optional(Schema.String),
  /** What timed out, in words. */
  error: Schema.String,
  /** The client-side limit that ran out. */
  timeout: Schema.optional(Schema.DurationFromSelf),
  retryAfter: Schema.optional(Schema.DurationFromSelf),
  /**
   * The request id: the answer's `x-request-id` (or `request-id`) header, or else the one the
   * client sent (`requestId` option, or an `x-request-id` header of yours). Absent when neither.
   */
  requestId: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return this.origin === "server"
      ? describeHttp("Server timed out", {
        status: this.status ?? 408,
        code: this.code,
        error: this.error,
        retryAfter: this.retryAfter
      })
      : `Request timed out: ${this.error}`
  }
}

/** HTTP 429 after the retry policy gave up. */
export class RateLimitError extends Schema.TaggedError<RateLimitError>(
  "aleph-alpha-client/RateLimitError"
)("RateLimitError", HttpErrorFields) {
  override get message(): string {
    return describeHttp("Rate limited", this)
  }
}

/** HTTP 503 after the retry policy gave up (e.g. `QUEUE_FULL`). */
export class BusyError extends Schema.TaggedError<BusyError>(
  "aleph-alpha-client/BusyError"
)("BusyError", HttpErrorFields) {
  override get message(): string {
    return describeHttp("Service busy", this)
  }
}

/** Any other 5xx; 500, 502 and 504 only after the retry policy gave up. */
export class ServerError extends Schema.TaggedError<ServerError>(
  "aleph-alpha-client/ServerError"
)("ServerError", HttpErrorFields) {
  override get message(): string {
    return describeHttp("Server error", this)
  }
}

/**
 * Any other non-2xx status (405, 409, 413, 422, …), and redirects: API calls never follow one,
 * so a 3xx ends here with its `location`. Status 0 is a redirect as a browser's `fetch` shows
 * it (an opaque answer, its `Location` hidden).
 */
export class UnexpectedStatusError extends Schema.TaggedError<UnexpectedStatusError>(
  "aleph-alpha-client/UnexpectedStatusError"
)("UnexpectedStatusError", {
  ...HttpErrorFields,
  /** The `Location` header of a redirect (3xx), as the server sent it. */
  location: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const message = describeHttp("Unexpected status", this)
    return this.location === undefined ? message : `${message} (a redirect to ${this.location}, not followed)`
  }
}

/** The connection failed: refused, reset, or lost while reading a body or a stream. */
export class TransportError extends Schema.TaggedError<TransportError>(
  "aleph-alpha-client/TransportError"
)("TransportError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect),
  /** The id of the request (`requestId` option, or an `x-request-id` header of yours), when one was sent. */
  requestId: Schema.optional(Schema.String)
}) {}

/** The client's own decoding failed: JSON, Schema, SSE framing or an oversized event. */
export class DecodeError extends Schema.TaggedError<DecodeError>(
  "aleph-alpha-client/DecodeError"
)("DecodeError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect),
  /** The id of the request (`requestId` option, or an `x-request-id` header of yours), when one was sent. */
  requestId: Schema.optional(Schema.String)
}) {}

/** An image, file, URL or docx could not be loaded. `source` names it. */
export class MediaError extends Schema.TaggedError<MediaError>(
  "aleph-alpha-client/MediaError"
)("MediaError", {
  source: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/** `chatStructured` content did not match the schema. `content` keeps what the model said. */
export class StructuredOutputError extends Schema.TaggedError<StructuredOutputError>(
  "aleph-alpha-client/StructuredOutputError"
)("StructuredOutputError", {
  content: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/** `validateVersion` found an API version this client does not support. */
export class VersionMismatchError extends Schema.TaggedError<VersionMismatchError>(
  "aleph-alpha-client/VersionMismatchError"
)("VersionMismatchError", {
  found: Schema.String,
  required: Schema.String
}) {
  override get message(): string {
    return `The API reports version ${JSON.stringify(this.found)}, but this client needs ` +
      `version ${this.required} or a later release of the same major version. ` +
      `Point the client at a newer API (host option) or use a client release made for that API.`
  }
}

/**
 * The tool loop (`chatWithTools`) asked the model `maxRounds` times and it still wanted to call
 * tools. The tools of the last answer were not run.
 */
export class MaxRoundsExceededError extends Schema.TaggedError<MaxRoundsExceededError>(
  "aleph-alpha-client/MaxRoundsExceededError"
)("MaxRoundsExceededError", {
  maxRounds: Schema.Int,
  /** The tools the model asked for last, by name. */
  pendingTools: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `The model still called tools (${this.pendingTools.join(", ")}) after ${this.maxRounds} rounds; ` +
      `raise maxRounds or change the request`
  }
}

/**
 * A tool handler's value could not be sent back to the model: its `success` schema did not
 * encode it, or it is not JSON (a `BigInt`, a cycle). A fault of the handler, not of the model.
 */
export class ToolResultError extends Schema.TaggedError<ToolResultError>(
  "aleph-alpha-client/ToolResultError"
)("ToolResultError", {
  /** The tool whose handler returned the value. */
  tool: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

/** An error the server answered with an HTTP status. */
export type HttpStatusError =
  | BadRequestError
  | AuthenticationError
  | QuotaError
  | PermissionDeniedError
  | NotFoundError
  | RequestTimeoutError
  | RateLimitError
  | BusyError
  | ServerError
  | UnexpectedStatusError

/**
 * What a call to the API fails with: bad input (a `ValidationError`, before anything is sent),
 * an HTTP status or one of the client's timeouts, the connection, or an answer that does not
 * decode. The error type of every endpoint method except `chatStructured`, `getVersion` and
 * `validateVersion`, and of every stream.
 */
export type ApiError = ValidationError | HttpStatusError | TransportError | DecodeError

/** `chatStructured`: an {@link ApiError}, or content that does not match the schema. */
export type StructuredChatError = ApiError | StructuredOutputError

/**
 * The tool loop (`chatWithTools`, `chatWithToolsStreaming`) besides its handlers' own failures:
 * an {@link ApiError} of a model call, too many rounds, or a handler's value that cannot be sent.
 */
export type ToolLoopError = ApiError | MaxRoundsExceededError | ToolResultError

/** `validateVersion`: a failed `GET version`, or a version this client does not support. */
export type VersionCheckError = ApiError | VersionMismatchError

/**
 * Every failure a client call can have: the union of all the classes above. Each method's
 * type names the part it can really fail with ({@link ApiError}, {@link StructuredChatError},
 * {@link VersionCheckError}, `MediaError | ValidationError` for the image loaders, …).
 */
export type AlephAlphaError =
  | ValidationError
  | HttpStatusError
  | TransportError
  | DecodeError
  | MediaError
  | StructuredOutputError
  | VersionMismatchError
  | MaxRoundsExceededError
  | ToolResultError

/** The schema of the union, for users who serialise errors (e.g. across workers). */
export const AlephAlphaError = Schema.Union(
  ValidationError,
  BadRequestError,
  AuthenticationError,
  QuotaError,
  PermissionDeniedError,
  NotFoundError,
  RequestTimeoutError,
  RateLimitError,
  BusyError,
  ServerError,
  UnexpectedStatusError,
  TransportError,
  DecodeError,
  MediaError,
  StructuredOutputError,
  VersionMismatchError,
  MaxRoundsExceededError,
  ToolResultError
)

const retryableStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504])

const tags: ReadonlySet<string> = new Set(AlephAlphaError.members.map((member) => member._tag))

/** Whether `u` is one of the client's errors. */
export const isAlephAlphaError = (u: unknown): u is AlephAlphaError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag) && u instanceof Error

/**
 * Whether the retry policy may try again after `error`: HTTP 408, 429, 500, 502, 503, 504,
 * transport failures and the client's own timeouts. Never 400/401/402/403/404.
 */
export const isRetryable = (error: AlephAlphaError): boolean => {
  switch (error._tag) {
    case "TransportError":
      return true
    case "RequestTimeoutError":
      return error.origin === "client" || retryableStatuses.has(error.status ?? 408)
    case "RateLimitError":
    case "BusyError":
    case "ServerError":
      return retryableStatuses.has(error.status)
    default:
      return false
  }
}

/** `AsyncClient`: the call was aborted by its `signal`. Named `"AbortError"` like the DOM's. */
export class AbortError extends Schema.TaggedError<AbortError>(
  "aleph-alpha-client/AbortError"
)("AbortError", {
  message: Schema.String
}) {}

/** `AsyncClient`: the client was closed before or during the call. */
export class ClientClosedError extends Schema.TaggedError<ClientClosedError>(
  "aleph-alpha-client/ClientClosedError"
)("ClientClosedError", {
  message: Schema.String
}) {}
