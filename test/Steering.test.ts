import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import {
  Client,
  SteeringConceptCreationRequest,
  SteeringConceptCreationResponse,
  SteeringPairedExample
} from "../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../src/testing/index.js"

const bodies = Effect.flatMap(FakeServer.FakeServer, (server) => server.requests).pipe(
  Effect.map((requests) => requests.map((request) => request.body))
)

const examples = [
  new SteeringPairedExample({
    negative: "I appreciate your valuable feedback on this matter.",
    positive: "Thanks for the real talk, fam."
  }),
  new SteeringPairedExample({
    negative: "The financial projections indicate significant growth potential.",
    positive: "Yo, these numbers are looking mad stacked!"
  })
]

describe("createSteeringConcept", () => {
  it.effect("sends the examples without a model and takes the 201 answer's id", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.createSteeringConcept(new SteeringConceptCreationRequest({ examples }))
      expect(yield* bodies).toEqual([{
        examples: [
          {
            negative: "I appreciate your valuable feedback on this matter.",
            positive: "Thanks for the real talk, fam."
          },
          {
            negative: "The financial projections indicate significant growth potential.",
            positive: "Yo, these numbers are looking mad stacked!"
          }
        ]
      }])
      expect(response).toBeInstanceOf(SteeringConceptCreationResponse)
      expect(response.id).toMatch(/^[0-9a-f]{64}$/)

      // idempotent: the same examples give the same id, others another
      const again = yield* client.createSteeringConcept(new SteeringConceptCreationRequest({ examples }))
      expect(again.id).toBe(response.id)
      const other = yield* client.createSteeringConcept(new SteeringConceptCreationRequest({ examples: examples.slice(1) }))
      expect(other.id).not.toBe(response.id)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("an empty examples list is a ValidationError before anything is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const made = yield* Effect.flip(SteeringConceptCreationRequest.make({ examples: [] }))
      expect(made).toMatchObject({ _tag: "ValidationError", path: "examples" })
      const error = yield* Effect.flip(
        client.createSteeringConcept(new SteeringConceptCreationRequest({ examples: [] }, true))
      )
      expect(error).toMatchObject({ _tag: "ValidationError", subject: "SteeringConceptCreationRequest" })
      expect(yield* bodies).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a steering endpoint the installation lacks is a NotFoundError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const server = yield* FakeServer.FakeServer
      yield* server.script(Fault.Status({ status: 404, body: { error: "Not found", code: "NOT_FOUND" } }))
      const error = yield* Effect.flip(client.createSteeringConcept(new SteeringConceptCreationRequest({ examples })))
      expect(error).toMatchObject({ _tag: "NotFoundError", status: 404, code: "NOT_FOUND" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})
