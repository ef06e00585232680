/**
 * `POST evaluate` (api-reference §4.8): how likely the model finds an expected completion of
 * a prompt.
 */
import * as Schema from "effect/Schema"
import { Prompt } from "./Prompt.js"
import { type InputOf, SafeClass } from "./SafeClass.js"
import { fieldsOf } from "./internal/plainInput.js"
import { promptInput } from "./internal/promptInput.js"

/**
 * An evaluation request. As the Python client does, `control_log_additive` is always sent
 * (with its default) and an unset `contextualControlThreshold` is omitted.
 */
export class EvaluationRequest extends SafeClass<EvaluationRequest, { readonly prompt: Prompt.Input }>(
  "aleph-alpha-client/EvaluationRequest"
)({
  /** A `Prompt`, a string or a list of prompt items (plain objects too). */
  prompt: Prompt,
  /** The completion whose likelihood is measured. */
  completionExpected: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("completion_expected")),
  /** Also apply controls to tokens at least this similar. Default: only covered tokens. */
  contextualControlThreshold: Schema.optionalWith(Schema.Finite, { exact: true }).pipe(
    Schema.fromKey("contextual_control_threshold")
  ),
  /** true: add log(factor) to the attention scores; false: scale them. Default: true. */
  controlLogAdditive: Schema.optionalWith(Schema.Boolean, { default: () => true }).pipe(
    Schema.fromKey("control_log_additive")
  )
}, undefined, fieldsOf({ prompt: promptInput })) {}

/** A member of `result`: `null` when the server sent `null` or left it out. */
const member = <S extends Schema.Schema.Any, K extends string>(schema: S, key: K) =>
  Schema.optionalWith(Schema.NullOr(schema), { default: () => null }).pipe(Schema.fromKey(key))

const knownResultKeys: ReadonlySet<string> = new Set([
  "log_probability",
  "log_perplexity",
  "log_perplexity_per_token",
  "log_perplexity_per_character",
  "correct_greedy",
  "token_count",
  "character_count",
  "completion"
])

const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/**
 * The `result` of an evaluation: the members the API reference documents, typed, and every
 * other member as received in `extra` (Python keeps `result` as an untyped dictionary).
 */
export class EvaluationResult extends Schema.Class<EvaluationResult>("aleph-alpha-client/EvaluationResult")({
  /** Log-probability of the expected completion. */
  logProbability: member(Schema.Number, "log_probability"),
  logPerplexity: member(Schema.Number, "log_perplexity"),
  logPerplexityPerToken: member(Schema.Number, "log_perplexity_per_token"),
  logPerplexityPerCharacter: member(Schema.Number, "log_perplexity_per_character"),
  /** Whether greedy decoding would have produced the expected completion. */
  correctGreedy: member(Schema.Boolean, "correct_greedy"),
  /** Tokens of the expected completion. */
  tokenCount: member(Schema.Int, "token_count"),
  /** Characters of the expected completion. */
  characterCount: member(Schema.Int, "character_count"),
  /** The argmax continuation of one forward pass. */
  completion: member(Schema.String, "completion"),
  /** The members of `result` this client does not know, as received. */
  extra: JsonObject
}) {}

const EvaluationResultWire = Schema.transform(JsonObject, EvaluationResult, {
  strict: false,
  decode: (wire) => {
    const known: Record<string, unknown> = {}
    const extra: Record<string, unknown> = {}
    for (const key of Object.keys(wire)) {
      if (knownResultKeys.has(key)) known[key] = wire[key]
      else extra[key] = wire[key]
    }
    return { ...known, extra }
  },
  encode: ({ extra, ...known }) => ({ ...extra, ...known })
})

/** The answer of `evaluate`. */
export class EvaluationResponse extends Schema.Class<EvaluationResponse>("aleph-alpha-client/EvaluationResponse")({
  modelVersion: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("model_version")),
  result: EvaluationResultWire,
  /** Tokens of the prompt and the expected completion. */
  numTokensPromptTotal: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("num_tokens_prompt_total")),
  /** A legacy message, rarely sent. */
  message: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null })
}) {}

export declare namespace EvaluationRequest {
  /** What `new EvaluationRequest`, `EvaluationRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof EvaluationRequest>
}
