/**
 * How the fake server loses a connection. The app only decides *when* a connection is lost;
 * the runner serving it knows *how*: the in-memory runner rejects its fetch promise or errors
 * the response body, the loopback runner destroys the socket.
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/** What a runner of the fake server's app provides to it. */
export interface Service {
  /**
   * Loses the connection `request` arrived on, after whatever was already written to it has
   * reached the client. Never succeeds: the handler is interrupted afterwards (or, mid-body,
   * waits to be interrupted when the client lets go of the body).
   */
  readonly drop: (request: HttpServerRequest.HttpServerRequest) => Effect.Effect<never>
}

/** A runner's way to lose connections, read by the fake server's app from its context. */
export class FakeConnection extends Context.Tag("aleph-alpha-client/testing/FakeConnection")<
  FakeConnection,
  Service
>() {}
