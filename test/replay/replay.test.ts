import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Layer, Redacted } from "effect"
import { Client } from "../../src/index.js"
import { type Cassette, cassettesDir, fixturesDir, load } from "./Cassettes.js"
import { checks, driverFor } from "./Drivers.js"
import * as ReplayServer from "./ReplayServer.js"

const cassettes: ReadonlyArray<Cassette> = load(cassettesDir)

describe("replay of recorded real-API traffic", () => {
  it("finds all 48 recordings", () => {
    expect(cassettes.length).toBe(48)
  })

  for (const cassette of cassettes) {
    it.effect(`${cassette.file}: ${cassette.intent.slice(0, 100)}`, () =>
      Effect.gen(function*() {
        const server = ReplayServer.make(cassette)
        const layer = Client.layer({
          token: Redacted.make("replay"),
          host: "http://replay.test/v1",
          totalRetries: 0
        }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, server.client)))
        const client = yield* Effect.provide(Client, layer)
        const exit = yield* Effect.exit(driverFor(cassette)({ client, cassette, fixtures: fixturesDir }))
        // a mismatch first: it explains the failed call better than the call's error does
        expect(server.mismatches).toEqual([])
        if (exit._tag === "Failure") expect.fail(Cause.pretty(exit.cause))
        const check = checks[cassette.name]
        expect(check, `no intent check for ${cassette.name}`).toBeDefined()
        if (exit._tag === "Success") check!(exit.value, cassette)
        expect(server.unused()).toEqual([])
      }))
  }
})
