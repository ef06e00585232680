import { HttpClient, HttpClientResponse } from "@effect/platform"
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Inspectable, Layer, Logger, Redacted } from "effect"
import { Client } from "../src/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const token = "tok-UNMISTAKABLE-8c1f2e9d"

/** Every way a user might print what went wrong. */
const renderings = (exit: Exit.Exit<unknown, unknown>): ReadonlyArray<string> => {
  if (Exit.isSuccess(exit)) return []
  const failure = Cause.squash(exit.cause)
  return [
    Cause.pretty(exit.cause, { renderErrorCause: true }),
    String(failure),
    (failure as Error).message ?? "",
    (failure as Error).stack ?? "",
    JSON.stringify(failure),
    JSON.stringify(exit),
    Inspectable.format(failure),
    Inspectable.format(exit)
  ]
}

const answering = (status: number, body: string) =>
  Layer.succeed(
    HttpClient.HttpClient,
    HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response(body, { status }))))
  )

describe("the token", () => {
  it.live("appears in no error, rendering or log line, whatever fails", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const logger = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ message, cause }) => logs.push(Inspectable.format(message), Cause.pretty(cause)))
      )
      const options = { token: Redacted.make(token), totalRetries: 0, requestTimeout: "2 seconds" } as const
      const scenarios = [
        // a real socket refusing the connection, through both real transports
        Client.layer({ ...options, host: "http://127.0.0.1:1" }).pipe(Layer.provide(UndiciHttpClient.layer())),
        Client.layer({ ...options, host: "http://127.0.0.1:1/v1" }).pipe(Layer.provide(FetchHttpClient.layer)),
        Client.layer({ ...options, host: "https://api.test" }).pipe(
          Layer.provide(answering(401, JSON.stringify({ error: "token invalid", code: "UNAUTHENTICATED" })))
        ),
        Client.layer({ ...options, host: "https://api.test" }).pipe(Layer.provide(answering(200, "not json"))),
        Client.layer({ ...options, host: "::bad::" }).pipe(Layer.provide(answering(200, "[]")))
      ]
      const outputs: Array<string> = []
      for (const layer of scenarios) {
        const exit = yield* Effect.flatMap(Client, (client) => client.models()).pipe(
          Effect.tapErrorCause((cause) => Effect.logError("call failed", cause)),
          Effect.provide(layer),
          Effect.provide(logger),
          Effect.exit
        )
        expect(Exit.isFailure(exit)).toBe(true)
        outputs.push(...renderings(exit))
      }
      expect(logs.length).toBeGreaterThan(0)
      for (const text of [...outputs, ...logs]) {
        expect(text).not.toContain(token)
      }
      // the renderings are not empty: they do describe the failures
      expect(outputs.join("\n")).toContain("Authentication failed")
      expect(outputs.join("\n")).toContain("127.0.0.1:1")
    }))

  it("is not shown by the Redacted option value", () => {
    const value = Redacted.make(token)
    expect(String(value)).not.toContain(token)
    expect(JSON.stringify({ token: value })).not.toContain(token)
  })
})
