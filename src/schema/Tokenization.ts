/**
 * `POST tokenize`, `POST detokenize` and `GET models/{model}/tokenizer`
 * (api-reference §4.10–4.12).
 */
import type * as HfTokenizers from "@huggingface/tokenizers"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { DecodeError } from "../errors/AlephAlphaError.js"
import { SafeClass } from "./SafeClass.js"

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

/**
 * A model's tokenizer, working offline: `encode(text)` → `{ ids, tokens, attention_mask }`,
 * `decode(ids)`, `tokenize(text)`, `token_to_id`, `id_to_token`, `get_vocab()` — the
 * `Tokenizer` of `@huggingface/tokenizers`.
 */
export type Tokenizer = HfTokenizers.Tokenizer

type TokenizersModule = typeof HfTokenizers

let tokenizersImport: Promise<TokenizersModule> | undefined

/** `@huggingface/tokenizers`, loaded on first use. */
const loadTokenizers: Effect.Effect<TokenizersModule> = Effect.promise(() =>
  tokenizersImport ??= import("@huggingface/tokenizers")
)

const optionalParts = { added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null }

const describe = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * Builds a {@link Tokenizer} from a Hugging Face `tokenizer.json` document (as text or parsed),
 * what `GET models/{model}/tokenizer` serves. Decoding is done as the Python client's
 * `Tokenizer.from_str` does: no clean-up of spaces around punctuation. A document that is not
 * JSON or not a tokenizer is a `DecodeError`. Loads `@huggingface/tokenizers` on first use.
 */
export const tokenizerFromJson = (json: string | object): Effect.Effect<Tokenizer, DecodeError> =>
  Effect.gen(function*() {
    const document: unknown = typeof json === "string"
      ? yield* Effect.try({
        try: () => JSON.parse(json) as unknown,
        catch: (cause) => new DecodeError({ message: `The tokenizer is not valid JSON: ${describe(cause)}`, cause })
      })
      : json
    if (typeof document !== "object" || document === null || Array.isArray(document)) {
      return yield* new DecodeError({ message: "The tokenizer is not a JSON object" })
    }
    const module = yield* loadTokenizers
    return yield* Effect.try({
      try: () => {
        // the library requires these keys, which a minimal tokenizer file may leave out
        const complete = { ...optionalParts, ...document }
        return new module.Tokenizer(complete, { clean_up_tokenization_spaces: false })
      },
      catch: (cause) =>
        new DecodeError({ message: `The tokenizer could not be built: ${describe(cause)}`, cause })
    })
  })
