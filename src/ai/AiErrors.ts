/**
 * Aleph Alpha errors as `@effect/ai` `AiError`s. The Aleph Alpha error is never lost: it is the
 * `cause` of the `AiError` (read it back with {@link getAlephAlphaError}).
 *
 * | Aleph Alpha error | `AiError` |
 * |---|---|
 * | `BadRequestError`, `AuthenticationError`, `QuotaError`, `PermissionDeniedError`, `NotFoundError`, `RateLimitError`, `BusyError`, `ServerError`, `UnexpectedStatusError`, `RequestTimeoutError` from the server | `HttpResponseError` (`reason: "StatusCode"`, `response.status`, `body` = the API's `{"error","code"}`) |
 * | `TransportError`, `RequestTimeoutError` of the client | `HttpRequestError` (`reason: "Transport"`) |
 * | `ValidationError`, `MediaError` | `MalformedInput` |
 * | `DecodeError`, `StructuredOutputError` | `MalformedOutput` |
 * | `VersionMismatchError` | `UnknownError` |
 */
import * as AiError from "@effect/ai/AiError"
import * as Option from "effect/Option"
import { type AlephAlphaError, isAlephAlphaError } from "../errors/AlephAlphaError.js"

/** Where the error happened: the provider module and its method (as in `AiError`'s own fields). */
export interface ErrorSite {
  readonly module: string
  readonly method: string
  /** The API path the call went to (`"chat/completions"`); used as the request URL. */
  readonly path: string
}

const requestDetails = (path: string): typeof AiError.HttpRequestDetails.Type => ({
  method: "POST",
  url: path,
  urlParams: [],
  hash: Option.none(),
  headers: {}
})

const responseBody = (error: { readonly code?: string | undefined; readonly error: string }): string =>
  error.code === undefined ? error.error : JSON.stringify({ error: error.error, code: error.code })

/** Turns one of the client's errors into the `AiError` `@effect/ai` programs handle; `cause` is the original. */
export const toAiError = (error: AlephAlphaError, site: ErrorSite): AiError.AiError => {
  const { method, module, path } = site
  // a connection failure and a client-side timeout: no answer came back
  const transportFailure = () =>
    new AiError.HttpRequestError({
      module,
      method,
      reason: "Transport",
      request: requestDetails(path),
      description: error.message,
      cause: error
    }, { disableValidation: true })
  switch (error._tag) {
    case "BadRequestError":
    case "AuthenticationError":
    case "QuotaError":
    case "PermissionDeniedError":
    case "NotFoundError":
    case "RateLimitError":
    case "BusyError":
    case "ServerError":
    case "UnexpectedStatusError":
      return httpResponseError(error, error.status, site)
    case "RequestTimeoutError":
      return error.origin === "server" ? httpResponseError(error, error.status ?? 408, site) : transportFailure()
    case "TransportError":
      return transportFailure()
    case "ValidationError":
    case "MediaError":
      return new AiError.MalformedInput({ module, method, description: error.message, cause: error })
    case "DecodeError":
    case "StructuredOutputError":
      return new AiError.MalformedOutput({ module, method, description: error.message, cause: error })
    case "VersionMismatchError":
    case "MaxRoundsExceededError":
    case "ToolResultError":
      return new AiError.UnknownError({ module, method, description: error.message, cause: error })
  }
}

const httpResponseError = (
  error: Extract<AlephAlphaError, { readonly error: string }>,
  status: number,
  site: ErrorSite
): AiError.HttpResponseError => {
  // `HttpResponseError` has no `cause` field in its schema; built without validation it keeps
  // the one given, as every `Error` may (`error.cause`).
  const props = {
    module: site.module,
    method: site.method,
    reason: "StatusCode" as const,
    request: requestDetails(site.path),
    response: { status, headers: {} },
    body: responseBody(error),
    description: error.message,
    cause: error
  }
  return new AiError.HttpResponseError(props, { disableValidation: true })
}

/** The Aleph Alpha error an `AiError` was made from, if it was made by {@link toAiError}. */
export const getAlephAlphaError = (error: AiError.AiError): Option.Option<AlephAlphaError> => {
  const cause: unknown = (error as { readonly cause?: unknown }).cause
  return isAlephAlphaError(cause) ? Option.some(cause) : Option.none()
}
