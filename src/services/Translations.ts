/**
 * The `Translations` family: `translate`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ApiError } from "../errors/AlephAlphaError.js"
import { TranslationRequest, TranslationResponse } from "../schema/Translation.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import * as Telemetry from "./Telemetry.js"

/** The methods of the `Translations` family. */
export interface TranslationsService {
  /** `POST translate`: translates `request.source` with `request.model` (no model argument). */
  readonly translate: (request: TranslationRequest.Input) => Effect.Effect<TranslationResponse, ApiError>
}

const attributes = (request: TranslationRequest.Input): Telemetry.RequestAttributes => {
  try {
    return { operation: "translate", model: Telemetry.fieldsOf(request).model }
  } catch {
    return { operation: "translate" }
  }
}

/** The `Translations` family's tag. */
export class Translations extends Context.Tag("aleph-alpha-client/Translations")<Translations, TranslationsService>() {
  static readonly make: Effect.Effect<TranslationsService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    return {
      translate: (request) =>
        Telemetry.call(
          http.options,
          "translate",
          attributes(request),
          (response: TranslationResponse) => ({
            inputTokens: response.numTokensPromptTotal,
            outputTokens: response.numTokensGenerated
          }),
          (span) => http.post({ path: "translate", schema: TranslationRequest, request, span }, TranslationResponse)
        )
    }
  })

  static readonly layer: Layer.Layer<Translations, never, AlephAlphaHttp> = Layer.effect(Translations, Translations.make)
}
