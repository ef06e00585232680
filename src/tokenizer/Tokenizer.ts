/**
 * A model's tokenizer, offline: `GET models/{model}/tokenizer` built into the `Tokenizer` of
 * `@huggingface/tokenizers`. Its own entry point (`aleph-alpha-client/tokenizer`), so that
 * the tokenizers package is in a bundle only when a program uses it.
 */
import * as Effect from "effect/Effect"
import { type ApiError, DecodeError } from "../errors/AlephAlphaError.js"
import type { AsyncClient, CallOptions } from "../promise/AsyncClient.js"
import { isInstance } from "../schema/internal/untypedInput.js"
import { describeThrown, validationErrorFromThrow } from "../schema/internal/thrown.js"
import { Tokenization } from "../services/Tokenization.js"

// The types below re-declare what this package exposes of `@huggingface/tokenizers`' `Tokenizer`
// instead of importing its declarations, which applications cannot compile: their relative
// imports have no file extensions (TS2834 under NodeNext, where they also resolve to `any`) and
// they name `TextDecoder` as a type (TS2749 without the DOM lib). `npm run test:pack` checks
// that the library's class still fits them.

/** What {@link Tokenizer.encode} returns. */
export interface TokenizerEncoding {
  readonly ids: Array<number>
  readonly tokens: Array<string>
  readonly attention_mask: Array<number>
  readonly token_type_ids?: Array<number>
}

/** Options of {@link Tokenizer.encode}. */
export interface TokenizerEncodeOptions {
  /** A second text, encoded as the pair of the first. Default: none. */
  readonly text_pair?: string | null | undefined
  /** Add the special tokens of the tokenizer's post-processor. Default: true. */
  readonly add_special_tokens?: boolean | undefined
  /** Also return `token_type_ids`. Default: the tokenizer's choice. */
  readonly return_token_type_ids?: boolean | null | undefined
}

/** Options of {@link Tokenizer.decode}. */
export interface TokenizerDecodeOptions {
  /** Leave the special tokens out of the text. Default: false. */
  readonly skip_special_tokens?: boolean | undefined
  /** Remove spaces before punctuation. Default: false (as the Python client's `Tokenizer.from_str`). */
  readonly clean_up_tokenization_spaces?: boolean | null | undefined
}

/** A token added on top of the model's vocabulary (`get_added_tokens_decoder`). */
export interface TokenizerAddedToken {
  readonly content: string
  readonly id: number
  readonly single_word: boolean
  readonly lstrip: boolean
  readonly rstrip: boolean
  readonly special: boolean
  readonly normalized: boolean
}

/**
 * A model's tokenizer, working offline: the `Tokenizer` of `@huggingface/tokenizers`. Its
 * methods are synchronous and throw the library's errors as they are (`decode` throws on an
 * empty list).
 */
export interface Tokenizer {
  /** `text` → `{ ids, tokens, attention_mask }`. */
  encode(
    text: string,
    options: TokenizerEncodeOptions & { readonly return_token_type_ids: true }
  ): TokenizerEncoding & { readonly token_type_ids: Array<number> }
  encode(text: string, options?: TokenizerEncodeOptions): TokenizerEncoding
  /** Token ids (at least one) → text. */
  decode(ids: ReadonlyArray<number> | ReadonlyArray<bigint>, options?: TokenizerDecodeOptions): string
  /** `text` → its tokens. */
  tokenize(
    text: string,
    options?: { readonly text_pair?: string | null | undefined; readonly add_special_tokens?: boolean | undefined }
  ): Array<string>
  /** A token's id, `undefined` when the token is not in the vocabulary. */
  token_to_id(token: string): number | undefined
  /** An id's token, `undefined` when the id is not in the vocabulary. */
  id_to_token(id: number): string | undefined
  /** The added tokens by id. */
  get_added_tokens_decoder(): Map<number, TokenizerAddedToken>
  /** The vocabulary: token → id; with the added tokens unless `with_added_tokens` is false. */
  get_vocab(with_added_tokens?: boolean): Map<string, number>
}

interface TokenizersModule {
  readonly Tokenizer: new(tokenizer: object, config: { readonly clean_up_tokenization_spaces: boolean }) => Tokenizer
}

let tokenizersImport: Promise<TokenizersModule> | undefined

/** `@huggingface/tokenizers`, loaded on first use. */
const loadTokenizers: Effect.Effect<TokenizersModule> = Effect.promise(() =>
  tokenizersImport ??= import("@huggingface/tokenizers")
)

/** `Array.isArray`, where a revoked Proxy (which makes it throw) counts as not an object. */
const isArray = (value: object): boolean => {
  try {
    return Array.isArray(value)
  } catch {
    return true
  }
}

const optionalParts = { added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null }


/**
 * Builds a {@link Tokenizer} from a Hugging Face `tokenizer.json` document (as text or parsed),
 * what `GET models/{model}/tokenizer` serves. Decoding is done as the Python client's
 * `Tokenizer.from_str` does: no clean-up of spaces around punctuation. A document that is not
 * JSON or not a tokenizer is a `DecodeError`. Loads `@huggingface/tokenizers` on first use.
 */
export const tokenizerFromJson = (json: string | object): Effect.Effect<Tokenizer, DecodeError> =>
  Effect.gen(function*() {
    // JSON.parse quotes the text around the fault, which may be anything the server sent
    // (the token, echoed): only the position is kept
    const document: unknown = typeof json === "string"
      ? yield* Effect.try({
        try: () => JSON.parse(json) as unknown,
        catch: (cause) => {
          const position = /position (\d+)/.exec(cause instanceof Error ? cause.message : "")?.[1]
          return new DecodeError({
            message: `The tokenizer is not valid JSON${position === undefined ? "" : ` (at position ${position})`}`
          })
        }
      })
      : json
    if (typeof document !== "object" || document === null || isArray(document)) {
      return yield* new DecodeError({ message: "The tokenizer is not a JSON object" })
    }
    const module = yield* loadTokenizers
    return yield* Effect.try({
      try: () => {
        // the library requires these keys, which a minimal tokenizer file may leave out (read
        // here, where a getter or a Proxy trap that throws is a DecodeError too)
        const complete = { ...optionalParts, ...document }
        return new module.Tokenizer(complete, { clean_up_tokenization_spaces: false })
      },
      catch: (cause) =>
        new DecodeError({
          message: `The tokenizer could not be built: ${describeThrown(cause)}`,
          // kept when it is the library's error, not a value of untyped code that throws when printed
          ...(isInstance(cause, Error) ? { cause } : {})
        })
    })
  })

/**
 * `client.tokenizer(model)` of the Python client: downloads `model`'s tokenizer (several MB;
 * `tokenizerJson` of the `Tokenization` family) and builds a {@link Tokenizer} that encodes
 * and decodes offline. Not cached.
 */
export const tokenizer = (model: string): Effect.Effect<Tokenizer, ApiError, Tokenization> =>
  Effect.flatMap(Tokenization, (tokenization) => Effect.flatMap(tokenization.tokenizerJson(model), tokenizerFromJson))

/** {@link tokenizer} for `AsyncClient`: rejects with the same errors. */
export const asyncTokenizer = async (client: AsyncClient, model: string, options?: CallOptions): Promise<Tokenizer> => {
  let pending: Promise<string>
  try {
    pending = client.tokenizerJson(model, options)
  } catch (thrown) {
    // not an AsyncClient: `null`, or an object whose getter or Proxy trap throws
    throw validationErrorFromThrow(thrown, client, "asyncTokenizer client")
  }
  const json = await pending
  const exit = await Effect.runPromiseExit(tokenizerFromJson(json))
  if (exit._tag === "Success") return exit.value
  throw exit.cause._tag === "Fail" ? exit.cause.error : new DecodeError({ message: "The tokenizer could not be built", cause: exit.cause })
}
