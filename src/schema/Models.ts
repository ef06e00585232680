/**
 * `GET models_available` and `GET version` (api-reference §4.16, §4.17).
 */
import * as Schema from "effect/Schema"
import { SafeClass } from "./SafeClass.js"

const renamed = <S extends Schema.Schema.All, K extends string>(schema: S, key: K) =>
  Schema.optional(schema).pipe(Schema.fromKey(key))

/** One entry of `models()`. Fields other than `name` depend on the server's version. */
export class ModelInfo extends SafeClass<ModelInfo>("aleph-alpha-client/ModelInfo")({
  /** The name to pass as `model`. */
  name: Schema.String,
  description: Schema.optional(Schema.String),
  /** The context window, in tokens. */
  maxContextSize: renamed(Schema.Int, "max_context_size"),
  /** `[]` on PhariaAI, `["aleph-alpha"]` on the legacy SaaS. */
  hostings: Schema.optional(Schema.Array(Schema.String)),
  /** Whether prompts may contain images. */
  imageSupport: renamed(Schema.Boolean, "image_support"),
  qaSupport: renamed(Schema.Boolean, "qa_support"),
  summarizationSupport: renamed(Schema.Boolean, "summarization_support"),
  /** e.g. `symmetric_128`, `asymmetric_query`. */
  embeddingTypes: renamed(Schema.Array(Schema.String), "embedding_types"),
  maximumCompletionTokens: renamed(Schema.NullOr(Schema.Int), "maximum_completion_tokens"),
  aligned: Schema.optional(Schema.Boolean)
}) {}

/** The answer of `GET models_available`. */
export const ModelsResponse = Schema.Array(ModelInfo)

/** The oldest API version `validateVersion` accepts (the Python client's `MIN_API_VERSION`). */
export const minApiVersion = "1.19.0"
