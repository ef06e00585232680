/**
 * The `Evaluations` family: `evaluate`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ApiError } from "../errors/AlephAlphaError.js"
import { EvaluationRequest, EvaluationResponse } from "../schema/Evaluation.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import * as Telemetry from "./Telemetry.js"

/** The methods of the `Evaluations` family. */
export interface EvaluationsService {
  /** `POST evaluate`: the log-likelihood of `request.completionExpected` following the prompt. */
  readonly evaluate: (request: EvaluationRequest.Input, model: string) => Effect.Effect<EvaluationResponse, ApiError>
}

/** The `Evaluations` family's tag. */
export class Evaluations extends Context.Tag("aleph-alpha-client/Evaluations")<Evaluations, EvaluationsService>() {
  static readonly make: Effect.Effect<EvaluationsService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    return {
      evaluate: (request, model) =>
        Telemetry.call(
          http.options,
          "evaluate",
          { operation: "evaluate", model },
          (response: EvaluationResponse) => ({ inputTokens: response.numTokensPromptTotal }),
          (span) => http.post({ path: "evaluate", schema: EvaluationRequest, request, model, span }, EvaluationResponse)
        )
    }
  })

  static readonly layer: Layer.Layer<Evaluations, never, AlephAlphaHttp> = Layer.effect(Evaluations, Evaluations.make)
}
