/**
 * `Client`: the whole API as one Effect service, built from the endpoint-family services.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { ValidationError } from "../errors/AlephAlphaError.js"
import { AlephAlphaHttp, type AlephAlphaHttpOptions } from "./AlephAlphaHttp.js"
import { ChatCompletions, type ChatCompletionsService } from "./ChatCompletions.js"
import { Completions, type CompletionsService } from "./Completions.js"
import { Embeddings, type EmbeddingsService } from "./Embeddings.js"
import { Evaluations, type EvaluationsService } from "./Evaluations.js"
import { Explanations, type ExplanationsService } from "./Explanations.js"
import { Models, type ModelsService } from "./Models.js"
import { Reranking, type RerankingService } from "./Reranking.js"
import { Steering, type SteeringService } from "./Steering.js"
import { Tokenization, type TokenizationService } from "./Tokenization.js"
import { Translations, type TranslationsService } from "./Translations.js"

/** Every method of every endpoint family. */
export interface ClientService extends CompletionsService, ChatCompletionsService, ModelsService, EmbeddingsService,
  ExplanationsService, EvaluationsService, TokenizationService, TranslationsService, RerankingService, SteeringService
{}

/** The services `Client.layer` provides besides `Client`. */
export type Families =
  | Completions
  | ChatCompletions
  | Models
  | Embeddings
  | Explanations
  | Evaluations
  | Tokenization
  | Translations
  | Reranking
  | Steering

const families: Layer.Layer<Families, never, AlephAlphaHttp> = Layer.mergeAll(
  Completions.layer,
  ChatCompletions.layer,
  Models.layer,
  Embeddings.layer,
  Explanations.layer,
  Evaluations.layer,
  Tokenization.layer,
  Translations.layer,
  Reranking.layer,
  Steering.layer
)

/** The whole API as one service. */
export class Client extends Context.Tag("aleph-alpha-client/Client")<Client, ClientService>() {
  /** Builds `Client` from the family services in context. */
  static readonly make: Effect.Effect<ClientService, never, Families> = Effect.gen(function*() {
    const completions = yield* Completions
    const chat = yield* ChatCompletions
    const models = yield* Models
    const embeddings = yield* Embeddings
    const explanations = yield* Explanations
    const evaluations = yield* Evaluations
    const tokenization = yield* Tokenization
    const translations = yield* Translations
    const reranking = yield* Reranking
    const steering = yield* Steering
    return {
      ...completions,
      ...chat,
      ...models,
      ...embeddings,
      ...explanations,
      ...evaluations,
      ...tokenization,
      ...translations,
      ...reranking,
      ...steering
    }
  })

  /**
   * `Client` from family layers of your choice, e.g. to replace one family in a test:
   * `Client.layerFromFamilies.pipe(Layer.provide(Layer.mergeAll(myModels, ...)))`.
   */
  static readonly layerFromFamilies: Layer.Layer<Client, never, Families> = Layer.effect(Client, Client.make)

  /** `Client` and every family service over the `HttpClient` the application provides. */
  static readonly layer = (
    options: AlephAlphaHttpOptions
  ): Layer.Layer<Client | Families, ValidationError, HttpClient.HttpClient> =>
    clientFromFamilies().pipe(Layer.provideMerge(families), Layer.provide(AlephAlphaHttp.layer(options)))

  /** Like `layer`, with the token from `ALEPH_ALPHA_TOKEN` and the host from `ALEPH_ALPHA_HOST`. */
  static readonly layerConfig = (
    options: Partial<AlephAlphaHttpOptions> = {}
  ): Layer.Layer<Client | Families, ValidationError | ConfigError.ConfigError, HttpClient.HttpClient> =>
    clientFromFamilies().pipe(Layer.provideMerge(families), Layer.provide(AlephAlphaHttp.layerConfig(options)))
}

// Not `Client.layerFromFamilies`: layers are memoised by reference, so if `Client.layer` used
// that shared value, a test composing `Client.layerFromFamilies` with a stub family over
// `AlephAlphaTest.layer()` (built on `Client.layer`) would silently get the real family.
const clientFromFamilies = (): Layer.Layer<Client, never, Families> => Layer.effect(Client, Client.make)
