/**
 * The `Explanations` family: `explain`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ApiError } from "../errors/AlephAlphaError.js"
import { ExplanationRequest, ExplanationResponse } from "../schema/Explanation.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import * as Telemetry from "./Telemetry.js"

/** The methods of the `Explanations` family. */
export interface ExplanationsService {
  /**
   * `POST explain`: how much each part of the prompt contributed to `request.target`. Use
   * `response.withTextFromPrompt(request)` and `response.withImagePromptItemsInPixels(prompt)`
   * to attach the covered text and convert image rectangles to pixels.
   */
  readonly explain: (request: ExplanationRequest.Input, model: string) => Effect.Effect<ExplanationResponse, ApiError>
}

/** The `Explanations` family's tag. */
export class Explanations extends Context.Tag("aleph-alpha-client/Explanations")<Explanations, ExplanationsService>() {
  static readonly make: Effect.Effect<ExplanationsService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    return {
      explain: (request, model) =>
        Telemetry.call(
          http.options,
          "explain",
          { operation: "explain", model },
          undefined,
          (span) => http.post({ path: "explain", schema: ExplanationRequest, request, model, span }, ExplanationResponse)
        )
    }
  })

  static readonly layer: Layer.Layer<Explanations, never, AlephAlphaHttp> = Layer.effect(Explanations, Explanations.make)
}
