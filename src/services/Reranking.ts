/**
 * The `Reranking` family: `rerank`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ApiError } from "../errors/AlephAlphaError.js"
import { RerankRequest, RerankResponse } from "../schema/Rerank.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import * as Telemetry from "./Telemetry.js"

/** The methods of the `Reranking` family. */
export interface RerankingService {
  /** `POST rerank`: `request.documents` by relevance to `request.query`, most relevant first. */
  readonly rerank: (request: RerankRequest.Input, model: string) => Effect.Effect<RerankResponse, ApiError>
}

/** The `Reranking` family's tag. */
export class Reranking extends Context.Tag("aleph-alpha-client/Reranking")<Reranking, RerankingService>() {
  static readonly make: Effect.Effect<RerankingService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    return {
      rerank: (request, model) =>
        Telemetry.call(
          http.options,
          "rerank",
          { operation: "rerank", model },
          (response: RerankResponse) => ({ inputTokens: response.usage.totalTokens }),
          (span) => http.post({ path: "rerank", schema: RerankRequest, request, model, span }, RerankResponse)
        )
    }
  })

  static readonly layer: Layer.Layer<Reranking, never, AlephAlphaHttp> = Layer.effect(Reranking, Reranking.make)
}
