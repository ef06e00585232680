/**
 * Faults the fake server can be scripted to inject (`FakeServer.script`). Each fault is a plain
 * object with a `_tag`; the constructors below only fill the tag in, so
 * `{ _tag: "Status", status: 503 }` works as well as `Fault.Status({ status: 503 })`.
 *
 * Which request takes a scripted fault: each request takes the first queued fault that applies
 * to it, and faults it passes over stay queued, in order. An untargeted fault applies to any
 * request, so a script of untargeted faults is used one per request, whatever the path; a
 * fault with `path` (and/or `method`) applies only to the requests it names and waits for the
 * first of them. `times: n` makes a fault apply to the next `n` requests it applies to.
 *
 * ```ts
 * // the embedding call passes; the chat stream after it stalls after one event
 * server.script(Fault.StallStream({ afterEvents: 1, path: "chat/completions" }))
 * ```
 */
import type * as Duration from "effect/Duration"

/** Every fault the fake server knows. */
export type Fault =
  | Status
  | DropBeforeHeaders
  | DropMidBody
  | DropMidStream
  | StallHeaders
  | StallBody
  | StallStream
  | Latency

/** Fields every fault shares. */
export interface Repeat extends Target {
  /** How many of the requests it applies to the fault answers (one after the other). Default: 1. */
  readonly times?: number | undefined
}

/** Which requests a fault applies to; without either field, to any request. */
export interface Target {
  /**
   * The endpoint, as the client names it: `"chat/completions"`, `"embed"`,
   * `"models/luminous-base/tokenizer"`; a leading `/` or `/v1/` is ignored, on both sides, so
   * `"/v1/embed"` (a recorded request's `path`) names the same endpoint. Default: any path.
   */
  readonly path?: string | undefined
  /** The HTTP method, in any case (`"POST"`, `"get"`). Default: any method. */
  readonly method?: string | undefined
}

/**
 * Answer with this status instead of the real answer. An object `body` is sent as JSON, a
 * string as `text/plain`; without a body the answer is empty.
 */
export interface Status extends Repeat {
  readonly _tag: "Status"
  readonly status: number
  /** Default: no body. */
  readonly body?: string | object | undefined
  /** Extra response headers. Default: none. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Value of the `Retry-After` header (seconds or an HTTP date). Default: no header. */
  readonly retryAfter?: string | undefined
}

/** The connection is lost before any response header was sent. */
export interface DropBeforeHeaders extends Repeat {
  readonly _tag: "DropBeforeHeaders"
}

/**
 * The real answer's status and headers are sent with the first half of its body, then the
 * connection is lost. On a streaming answer the cut falls inside the first event.
 */
export interface DropMidBody extends Repeat {
  readonly _tag: "DropMidBody"
}

/**
 * A streaming answer delivers `afterEvents` events, then the connection is lost. On a plain
 * JSON answer this is {@link DropMidBody}.
 */
export interface DropMidStream extends Repeat {
  readonly _tag: "DropMidStream"
  readonly afterEvents: number
}

/** Nothing is ever answered: the request hangs until the client gives up. */
export interface StallHeaders extends Repeat {
  readonly _tag: "StallHeaders"
}

/** Status, headers and the first half of the body are sent, then nothing more. */
export interface StallBody extends Repeat {
  readonly _tag: "StallBody"
}

/**
 * A streaming answer delivers `afterEvents` events, then goes quiet with the connection open.
 * On a plain JSON answer this is {@link StallBody}.
 */
export interface StallStream extends Repeat {
  readonly _tag: "StallStream"
  readonly afterEvents: number
}

/** The real answer, delayed by `duration` (instead of the server's default latency). */
export interface Latency extends Repeat {
  readonly _tag: "Latency"
  readonly duration: Duration.DurationInput
}

type Fields<F extends Fault> = Omit<F, "_tag">

/** @see {@link Status} */
export const Status = (fields: Fields<Status>): Status => ({ ...fields, _tag: "Status" })

/** @see {@link DropBeforeHeaders} */
export const DropBeforeHeaders = (fields: Fields<DropBeforeHeaders> = {}): DropBeforeHeaders => ({
  ...fields,
  _tag: "DropBeforeHeaders"
})

/** @see {@link DropMidBody} */
export const DropMidBody = (fields: Fields<DropMidBody> = {}): DropMidBody => ({ ...fields, _tag: "DropMidBody" })

/** @see {@link DropMidStream} */
export const DropMidStream = (fields: Fields<DropMidStream>): DropMidStream => ({ ...fields, _tag: "DropMidStream" })

/** @see {@link StallHeaders} */
export const StallHeaders = (fields: Fields<StallHeaders> = {}): StallHeaders => ({ ...fields, _tag: "StallHeaders" })

/** @see {@link StallBody} */
export const StallBody = (fields: Fields<StallBody> = {}): StallBody => ({ ...fields, _tag: "StallBody" })

/** @see {@link StallStream} */
export const StallStream = (fields: Fields<StallStream>): StallStream => ({ ...fields, _tag: "StallStream" })

/** @see {@link Latency} */
export const Latency = (fields: Fields<Latency>): Latency => ({ ...fields, _tag: "Latency" })
