/**
 * `POST translate` (api-reference §4.13). The model is part of the request.
 */
import * as Schema from "effect/Schema"
import { type InputOf, SafeClass } from "./SafeClass.js"

/** A translation request: the model travels in the body (`translate` takes no model argument). */
export class TranslationRequest extends SafeClass<TranslationRequest>("aleph-alpha-client/TranslationRequest")({
  /** A translation model, e.g. `pharia-1-mt-translation`. */
  model: Schema.NonEmptyString,
  /** The text to translate. */
  source: Schema.String,
  /** An ISO 639 / RFC 1766 language code, e.g. `"de"`. */
  targetLanguage: Schema.propertySignature(Schema.NonEmptyString).pipe(Schema.fromKey("target_language"))
}) {}

/** One translated segment of the source. */
export class TranslationSegment extends Schema.Class<TranslationSegment>("aleph-alpha-client/TranslationSegment")({
  source: Schema.String,
  translation: Schema.String,
  /** Quality estimate, 0…1. */
  score: Schema.Number
}) {}

/** The answer of `translate`. */
export class TranslationResponse extends Schema.Class<TranslationResponse>("aleph-alpha-client/TranslationResponse")({
  translation: Schema.String,
  /** Quality estimate, 0…1. */
  score: Schema.Number,
  /** The translation segment by segment; `null` when the server does not split it (current models). */
  segments: Schema.optionalWith(Schema.NullOr(Schema.Array(TranslationSegment)), { default: () => null }),
  /** Prompt tokens as the server counts them (may be 0, or the source's length in characters). */
  numTokensPromptTotal: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("num_tokens_prompt_total")),
  /** Generated tokens (0 for current translation models). */
  numTokensGenerated: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("num_tokens_generated"))
}) {}

export declare namespace TranslationRequest {
  /** What `new TranslationRequest`, `TranslationRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof TranslationRequest>
}
