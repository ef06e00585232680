/**
 * `POST tokenize` and `POST detokenize` (api-reference §4.10–4.11); the tokenizer of
 * `GET models/{model}/tokenizer` is in `aleph-alpha-client/tokenizer`.
 */
import * as Schema from "effect/Schema"
import { type InputOf, SafeClass } from "./SafeClass.js"

/** Turns a string into tokens, as the model sees it (plain text only). */
export class TokenizationRequest extends SafeClass<TokenizationRequest>("aleph-alpha-client/TokenizationRequest")({
  prompt: Schema.String,
  /** Return the token strings (byte-level notation: `Ġ` marks a leading space). Required, as in Python. */
  tokens: Schema.Boolean,
  /** Return the token ids. Required, as in Python. */
  tokenIds: Schema.propertySignature(Schema.Boolean).pipe(Schema.fromKey("token_ids"))
}) {}

/**
 * An array of integers, checked without copying (a long document tokenizes into many ids).
 * It stays the array that `JSON.parse` produced.
 */
const TokenIdArray = Schema.declare(
  (u: unknown): u is ReadonlyArray<number> => {
    if (!Array.isArray(u)) return false
    for (let i = 0; i < u.length; i++) {
      if (!Number.isSafeInteger(u[i])) return false
    }
    return true
  },
  { identifier: "TokenIds", description: "an array of integer token ids" }
)

/** The answer of `tokenize`: each list only when it was asked for. */
export class TokenizationResponse extends Schema.Class<TokenizationResponse>("aleph-alpha-client/TokenizationResponse")({
  /** `null` unless `tokens` was requested. */
  tokens: Schema.optionalWith(Schema.NullOr(Schema.Array(Schema.String)), { default: () => null }),
  /** `null` unless `tokenIds` was requested. */
  tokenIds: Schema.optionalWith(Schema.NullOr(TokenIdArray), { default: () => null }).pipe(Schema.fromKey("token_ids"))
}) {}

/** Turns token ids back into text. */
export class DetokenizationRequest extends SafeClass<DetokenizationRequest>("aleph-alpha-client/DetokenizationRequest")({
  /** Non-negative integer ids of the model's vocabulary. */
  tokenIds: Schema.propertySignature(Schema.Array(Schema.NonNegativeInt)).pipe(Schema.fromKey("token_ids"))
}) {}

/** The answer of `detokenize`. */
export class DetokenizationResponse extends Schema.Class<DetokenizationResponse>(
  "aleph-alpha-client/DetokenizationResponse"
)({
  result: Schema.String
}) {}

export declare namespace TokenizationRequest {
  /** What `new TokenizationRequest`, `TokenizationRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof TokenizationRequest>
}

export declare namespace DetokenizationRequest {
  /** What `new DetokenizationRequest`, `DetokenizationRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof DetokenizationRequest>
}
