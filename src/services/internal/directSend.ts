/**
 * How the transport recognises this package's own undici `HttpClient` and sends through undici
 * itself: `HttpClient.execute` parses a URL, makes an `AbortController`, a finalization
 * registry entry and a response wrapper per request, which together cost a busy client more
 * than the rest of a plain call. Only the exact client object `UndiciHttpClient` builds carries
 * the sender; any client made from it (`HttpClient.mapRequest(ours, …)`) is another object and
 * goes through `execute` as every other client does. Nothing here is Node-only.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type { BoundedTextReader } from "./responseBody.js"

/** The key of the sender on our undici client; not `Symbol.for`: another copy of the package is not ours. */
export const DirectSend: unique symbol = Symbol("aleph-alpha-client/DirectSend")

/** One request as undici takes it: all computed by the transport, nothing parsed again. */
export interface DirectRequest {
  readonly method: "GET" | "POST"
  /** `http://host:port`, without a path. */
  readonly origin: string
  /** The path and query, percent-encoded as a URL has them. */
  readonly path: string
  /** Lower-case names (one entry per header). */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
  readonly signal: AttemptSignal
}

/** What our undici client answers with: a platform response that also reads itself within a limit. */
export type DirectResponse = HttpClientResponse.HttpClientResponse & BoundedTextReader

/**
 * Sends a request; the promise rejects with undici's error when no response headers arrive
 * (the signal aborted, the connection failed). Redirects are not followed.
 */
export type DirectSender = (request: DirectRequest) => Promise<DirectResponse>

/** The sender of `client` when it is exactly our undici client, else undefined. */
export const directSenderOf = (client: HttpClient.HttpClient): DirectSender | undefined =>
  Object.hasOwn(client, DirectSend) ? (client as unknown as { readonly [DirectSend]: DirectSender })[DirectSend] : undefined

/**
 * The abort signal of one attempt: the part of `AbortSignal` undici reads (`aborted`, `reason`,
 * one `abort` listener), without the `EventTarget` an `AbortController` builds per request.
 * Aborting it before the headers fails the request; after them it destroys the body, which
 * closes the connection.
 */
export class AttemptSignal {
  aborted = false
  reason: unknown = undefined
  private listener: (() => void) | undefined = undefined

  addEventListener(_type: "abort", listener: () => void): void {
    this.listener = listener
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    if (this.listener === listener) this.listener = undefined
  }

  abort(): void {
    if (this.aborted) return
    this.aborted = true
    const listener = this.listener
    this.listener = undefined
    listener?.()
  }
}
