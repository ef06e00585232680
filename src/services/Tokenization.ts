/**
 * The `Tokenization` family: `tokenize`, `detokenize` and `tokenizerJson`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ApiError } from "../errors/AlephAlphaError.js"
import {
  DetokenizationRequest,
  DetokenizationResponse,
  TokenizationRequest,
  TokenizationResponse
} from "../schema/Tokenization.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import { invalidModel } from "./internal/modelName.js"
import * as Telemetry from "./Telemetry.js"

/** The methods of the `Tokenization` family. */
export interface TokenizationService {
  /** `POST tokenize`: the tokens and/or token ids of `request.prompt` in `model`'s vocabulary. */
  readonly tokenize: (request: TokenizationRequest.Input, model: string) => Effect.Effect<TokenizationResponse, ApiError>
  /** `POST detokenize`: the text of `request.tokenIds`. */
  readonly detokenize: (
    request: DetokenizationRequest.Input,
    model: string
  ) => Effect.Effect<DetokenizationResponse, ApiError>
  /**
   * `GET models/{model}/tokenizer`: the model's Hugging Face `tokenizer.json` (several MB), as
   * text. `tokenizer(model)` of `aleph-alpha-client/tokenizer` builds the offline tokenizer of it.
   */
  readonly tokenizerJson: (model: string) => Effect.Effect<string, ApiError>
}

/** The `Tokenization` family's tag. */
export class Tokenization extends Context.Tag("aleph-alpha-client/Tokenization")<Tokenization, TokenizationService>() {
  static readonly make: Effect.Effect<TokenizationService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    return {
      tokenize: (request, model) =>
        Telemetry.call(
          http.options,
          "tokenize",
          { operation: "tokenize", model },
          undefined,
          (span) => http.post({ path: "tokenize", schema: TokenizationRequest, request, model, span }, TokenizationResponse)
        ),
      detokenize: (request, model) =>
        Telemetry.call(
          http.options,
          "detokenize",
          { operation: "detokenize", model },
          undefined,
          (span) =>
            http.post({ path: "detokenize", schema: DetokenizationRequest, request, model, span }, DetokenizationResponse)
        ),
      tokenizerJson: (model) =>
        Effect.suspend(() => {
          // a path segment: checked, then encoded, so it cannot change the path's depth
          const invalid = invalidModel(model, "tokenizer")
          return invalid !== undefined
            ? Effect.fail(invalid)
            : http.getText(`models/${encodeURIComponent(model)}/tokenizer`)
        }).pipe(Telemetry.span(http.options, "tokenizer", { operation: "tokenizer", model }))
    }
  })

  static readonly layer: Layer.Layer<Tokenization, never, AlephAlphaHttp> = Layer.effect(Tokenization, Tokenization.make)
}
