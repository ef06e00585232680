/**
 * A model's tokenizer, offline: `GET models/{model}/tokenizer` built into the `Tokenizer` of
 * `@huggingface/tokenizers`. Its own entry point (`aleph-alpha-client/tokenizer`), so that
 * the tokenizers package is in a bundle only when a program uses it.
 */
import type * as HfTokenizers from "@huggingface/tokenizers"
import * as Effect from "effect/Effect"
import { type ApiError, DecodeError } from "../errors/AlephAlphaError.js"
import type { AsyncClient, CallOptions } from "../promise/AsyncClient.js"
import { isInstance } from "../schema/internal/untypedInput.js"
import { describeThrown, validationErrorFromThrow } from "../schema/internal/thrown.js"
import { Tokenization } from "../services/Tokenization.js"

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
