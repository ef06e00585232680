/**
 * The `Steering` family: `createSteeringConcept` (beta).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ApiError } from "../errors/AlephAlphaError.js"
import { SteeringConceptCreationRequest, SteeringConceptCreationResponse } from "../schema/Steering.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import * as Telemetry from "./Telemetry.js"

/** The methods of the `Steering` family. */
export interface SteeringService {
  /**
   * `POST steering_concepts` (no model): creates a steering concept from paired examples; the
   * server answers 201 with its id.
   */
  readonly createSteeringConcept: (
    request: SteeringConceptCreationRequest.Input
  ) => Effect.Effect<SteeringConceptCreationResponse, ApiError>
}

/** The `Steering` family's tag. */
export class Steering extends Context.Tag("aleph-alpha-client/Steering")<Steering, SteeringService>() {
  static readonly make: Effect.Effect<SteeringService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    return {
      createSteeringConcept: (request) =>
        Telemetry.call(
          http.options,
          "createSteeringConcept",
          { operation: "create_steering_concept" },
          undefined,
          (span) =>
            http.post(
              { path: "steering_concepts", schema: SteeringConceptCreationRequest, request, span },
              SteeringConceptCreationResponse
            )
        )
    }
  })

  static readonly layer: Layer.Layer<Steering, never, AlephAlphaHttp> = Layer.effect(Steering, Steering.make)
}
