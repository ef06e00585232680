/**
 * The `@effect/ai` `EmbeddingModel` over Aleph Alpha's semantic embeddings. The texts
 * `@effect/ai` batches together go to `batchSemanticEmbed`, which sends them in requests of at
 * most `batchSize` (≤ 100) prompts, `concurrency` at a time, and keeps their order.
 *
 * ```ts
 * import { EmbeddingModel } from "@effect/ai"
 * import { AlephAlphaEmbeddingModel } from "aleph-alpha-client/ai"
 *
 * EmbeddingModel.embedMany(["a", "b"]).pipe(Effect.provide(AlephAlphaEmbeddingModel.model("luminous-base")))
 * ```
 *
 * Needs the `Client` service.
 */
import type * as AiError from "@effect/ai/AiError"
import * as EmbeddingModel from "@effect/ai/EmbeddingModel"
import * as AiModel from "@effect/ai/Model"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import type { Simplify } from "effect/Types"
import {
  type BatchSemanticEmbedOptions,
  BatchSemanticEmbeddingRequest,
  type EmbeddingVector
} from "../schema/Embedding.js"
import { Prompt } from "../schema/Prompt.js"
import { Client } from "../services/Client.js"
import { toAiError } from "./AiErrors.js"

const MODULE = "AlephAlphaEmbeddingModel"
const PATH = "batch_semantic_embed"

/** The provider name of {@link model}. */
export const PROVIDER = "aleph-alpha"

// =============================================================================
// Configuration
// =============================================================================

type SemanticFields = Omit<ConstructorParameters<typeof BatchSemanticEmbeddingRequest>[0], "prompts">

/** Request settings; overridable per call with {@link withConfigOverride}. */
export class Config extends Context.Tag("aleph-alpha-client/ai/AlephAlphaEmbeddingModel/Config")<
  Config,
  Config.Service
>() {
  /** The override in the current context, if any. */
  static readonly getOrUndefined: Effect.Effect<Config.Service | undefined> = Effect.map(
    Effect.context<never>(),
    (context) => context.unsafeMap.get(Config.key)
  )
}

export declare namespace Config {
  /**
   * `model`, the semantic embedding fields (`representation` defaults to `"symmetric"`,
   * `compressToSize`, `normalize`, `contextualControlThreshold`, `controlLogAdditive`) and the
   * batching of `batchSemanticEmbed` (`batchSize`, default 100; `concurrency`, default 1).
   */
  export interface Service extends
    Simplify<
      & Partial<SemanticFields>
      & Omit<BatchSemanticEmbedOptions, "onProgress">
      & { readonly model?: string | undefined }
    >
  {}

  /** Settings of the batched model: also `@effect/ai`'s `maxBatchSize` (texts per call) and `cache`. */
  export interface Batched extends Omit<Service, "model"> {
    /** The most texts `@effect/ai` gathers into one `batchSemanticEmbed` call. Default: no limit. */
    readonly maxBatchSize?: number | undefined
    /** Caches embeddings by text. Default: no cache. */
    readonly cache?: {
      readonly capacity: number
      readonly timeToLive: Duration.DurationInput
    } | undefined
  }

  /** Settings of the data-loader model: texts asked for within `window` go out together. */
  export interface DataLoader extends Omit<Service, "model"> {
    readonly window: Duration.DurationInput
    readonly maxBatchSize?: number | undefined
  }
}

// =============================================================================
// Constructors
// =============================================================================

const toArray = (vector: EmbeddingVector): Array<number> =>
  // decoded vectors are plain arrays; they are handed over without a copy
  Array.isArray(vector) ? vector as Array<number> : Array.from(vector)

const makeEmbedMany = (model: string, config: Omit<Config.Service, "model">) =>
  Effect.gen(function*() {
    const client = yield* Client
    return (input: ReadonlyArray<string>): Effect.Effect<Array<EmbeddingModel.Result>, AiError.AiError> =>
      Effect.gen(function*() {
        const override = yield* Config.getOrUndefined
        const {
          batchSize,
          concurrency,
          model: chosen,
          representation,
          ...fields
        } = { model, ...config, ...override }
        const request = new BatchSemanticEmbeddingRequest({
          ...fields,
          representation: representation ?? "symmetric",
          prompts: input.map((text) => Prompt.fromText(text))
        }, { disableValidation: true })
        const response = yield* client.batchSemanticEmbed(request, chosen, { batchSize, concurrency }).pipe(
          Effect.mapError((error) => toAiError(error, { module: MODULE, method: "embedMany", path: PATH }))
        )
        return response.embeddings.map((vector, index) => ({ index, embeddings: toArray(vector) }))
      })
  })

/** Splits the `@effect/ai` settings from the request settings. */
const requestConfig = <C extends { readonly maxBatchSize?: number | undefined }>(
  config: C
): Omit<C, "maxBatchSize" | "cache" | "window"> => {
  const { cache: _cache, maxBatchSize: _max, window: _window, ...rest } = config as C & {
    readonly cache?: unknown
    readonly window?: unknown
  }
  return rest
}

/** Builds the batched `EmbeddingModel` service over the `Client` in context. */
export const make = (options: {
  readonly model: string
  readonly config?: Config.Batched | undefined
}): Effect.Effect<EmbeddingModel.Service, never, Client> =>
  Effect.gen(function*() {
    const config = options.config ?? {}
    const embedMany = yield* makeEmbedMany(options.model, requestConfig(config))
    return yield* EmbeddingModel.make({
      embedMany,
      ...(config.maxBatchSize === undefined ? {} : { maxBatchSize: config.maxBatchSize }),
      ...(config.cache === undefined ? {} : { cache: config.cache })
    })
  })

/** Builds the data-loader `EmbeddingModel` service: texts asked for within `window` are embedded together. */
export const makeDataLoader = (options: {
  readonly model: string
  readonly config: Config.DataLoader
}) =>
  Effect.gen(function*() {
    const embedMany = yield* makeEmbedMany(options.model, requestConfig(options.config))
    return yield* EmbeddingModel.makeDataLoader({
      embedMany,
      window: options.config.window,
      ...(options.config.maxBatchSize === undefined ? {} : { maxBatchSize: options.config.maxBatchSize })
    })
  })

/** The batched `EmbeddingModel` layer; needs `Client`. */
export const layer = (options: {
  readonly model: string
  readonly config?: Config.Batched | undefined
}): Layer.Layer<EmbeddingModel.EmbeddingModel, never, Client> =>
  Layer.effect(EmbeddingModel.EmbeddingModel, make(options))

/** The data-loader `EmbeddingModel` layer; needs `Client`. */
export const layerDataLoader = (options: {
  readonly model: string
  readonly config: Config.DataLoader
}): Layer.Layer<EmbeddingModel.EmbeddingModel, never, Client> =>
  Layer.scoped(EmbeddingModel.EmbeddingModel, makeDataLoader(options))

/** The batched embedding model as an `@effect/ai` `Model`. Needs `Client`. */
export const model = (
  model: string,
  config?: Config.Batched
): AiModel.Model<typeof PROVIDER, EmbeddingModel.EmbeddingModel, Client> =>
  AiModel.make(PROVIDER, layer(config === undefined ? { model } : { model, config }))

/** The data-loader embedding model as an `@effect/ai` `Model`. Needs `Client`. */
export const modelDataLoader = (
  model: string,
  config: Config.DataLoader
): AiModel.Model<typeof PROVIDER, EmbeddingModel.EmbeddingModel, Client> =>
  AiModel.make(PROVIDER, layerDataLoader({ model, config }))

/** Runs `self` with these settings on top of those of the layer (and of outer overrides). */
export const withConfigOverride: {
  (overrides: Config.Service): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R> =>
    Effect.flatMap(Config.getOrUndefined, (config) => Effect.provideService(self, Config, { ...config, ...overrides }))
)
