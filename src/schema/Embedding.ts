/**
 * The embedding endpoints (api-reference §4.3–§4.7): `embed`, `semantic_embed`,
 * `batch_semantic_embed`, `instructable_embed` and the OpenAI-compatible `embeddings`.
 *
 * Embedding vectors are the hot path (5120 floats × 100 per batch answer): they are checked in
 * place by {@link EmbeddingVector} — every element a finite number — and the array `JSON.parse`
 * built is kept, never copied element by element.
 */
import * as Encoding from "effect/Encoding"
import type * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import { Prompt } from "./Prompt.js"
import { type InputOf, SafeClass } from "./SafeClass.js"
import { arrayOf, fieldsOf } from "./internal/plainInput.js"
import { promptInput } from "./internal/promptInput.js"

/** An optional field sent only when set. */
const optional = <S extends Schema.Schema.All, K extends string>(schema: S, key: K) =>
  Schema.optionalWith(schema, { exact: true }).pipe(Schema.fromKey(key))

/** A field the Python client always sends, with its default (api-reference §1.9). */
const withDefault = <S extends Schema.Schema.Any, K extends string>(schema: S, key: K, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: value }).pipe(Schema.fromKey(key))

/** A required field under its snake_case wire name. */
const wire = <S extends Schema.Schema.Any, K extends string>(schema: S, key: K) =>
  Schema.propertySignature(schema).pipe(Schema.fromKey(key))

// ---------------------------------------------------------------------------------------------
// vectors
// ---------------------------------------------------------------------------------------------

/** An embedding: the vector as the server sent it. */
export type EmbeddingVector = ReadonlyArray<number>

/** -1 when `u` is an array of finite numbers, else the index of the first bad element (-2: not an array). */
const firstInvalid = (u: unknown): number => {
  if (!Array.isArray(u)) return -2
  for (let i = 0; i < u.length; i++) {
    const x: unknown = u[i]
    if (typeof x !== "number" || !Number.isFinite(x)) return i
  }
  return -1
}

const checkVector = () => (input: unknown, _options: AST.ParseOptions, ast: AST.Declaration) => {
  const bad = firstInvalid(input)
  if (bad === -1) return ParseResult.succeed(input as EmbeddingVector)
  const message = bad === -2
    ? "expected an array of finite numbers"
    : `element ${bad} is not a finite number`
  return ParseResult.fail(new ParseResult.Type(ast, input, message))
}

/**
 * An embedding vector on the wire and in TypeScript: an array of finite numbers. Decoding checks
 * the elements in place and returns the same array (no copy).
 */
export const EmbeddingVector: Schema.Schema<EmbeddingVector> = Schema.declare([], {
  decode: checkVector,
  encode: checkVector
}, {
  identifier: "EmbeddingVector",
  description: "an array of finite numbers",
  arbitrary: () => (fc) => fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }))
})

const decodeFloat32 = (base64: string): Either.Either<EmbeddingVector, string> => {
  const decoded = Encoding.decodeBase64(base64)
  if (Either.isLeft(decoded)) return Either.left(`not valid base64: ${decoded.left.message}`)
  const bytes = decoded.right
  if (bytes.length % 4 !== 0) {
    return Either.left(`${bytes.length} bytes is not a whole number of float32 values (a multiple of 4)`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new Array<number>(bytes.length / 4)
  for (let i = 0; i < out.length; i++) {
    const x = view.getFloat32(i * 4, true)
    if (!Number.isFinite(x)) return Either.left(`element ${i} is not a finite number`)
    out[i] = x
  }
  return Either.right(out)
}

const encodeFloat32 = (vector: EmbeddingVector): string => {
  const bytes = new Uint8Array(vector.length * 4)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i]!, true)
  return Encoding.encodeBase64(bytes)
}

/**
 * A vector sent as base64 of packed little-endian float32 values (`encoding_format: "base64"`),
 * decoded into plain numbers. A byte length that is not a multiple of 4 fails decoding.
 */
export const Base64EmbeddingVector: Schema.Schema<EmbeddingVector, string> = Schema.transformOrFail(
  Schema.String,
  EmbeddingVector,
  {
    strict: true,
    decode: (base64, _options, ast) =>
      Either.match(decodeFloat32(base64), {
        onLeft: (message) => ParseResult.fail(new ParseResult.Type(ast, base64, message)),
        onRight: ParseResult.succeed
      }),
    encode: (vector) => ParseResult.succeed(encodeFloat32(vector))
  }
).annotations({ identifier: "Base64EmbeddingVector" })

// ---------------------------------------------------------------------------------------------
// shared fields
// ---------------------------------------------------------------------------------------------

const controlFields = {
  /**
   * Also apply the prompt's controls to tokens whose embedding is at least this similar (cosine
   * similarity) to a controlled token. Default: unset (only the tokens a control covers).
   */
  contextualControlThreshold: optional(Schema.Finite, "contextual_control_threshold"),
  /**
   * true: apply a control by adding log(factor) to the attention scores; false: by scaling
   * them. Default: true.
   */
  controlLogAdditive: withDefault(Schema.Boolean, "control_log_additive", () => true)
}

/** Return unit-length vectors (saves work for cosine similarity). Default: false. */
const normalize = withDefault(Schema.Boolean, "normalize", () => false)

const modelVersion = wire(Schema.String, "model_version")
const numTokensPromptTotal = wire(Schema.Int, "num_tokens_prompt_total")
/** Legacy, unused by the API. */
const message = Schema.optional(Schema.NullOr(Schema.String))

// ---------------------------------------------------------------------------------------------
// embed (§4.3)
// ---------------------------------------------------------------------------------------------

/**
 * The pooling operations of `embed`: how the per-token hidden states of a layer become one
 * vector. `mean`, `max`, `last_token` and `abs_max` are the Python client's `POOLING_OPTIONS`;
 * `weighted_mean` (a position-weighted mean in which later tokens weigh more) is documented by
 * the API (api-reference §4.3) and offered too.
 */
export const POOLING_OPTIONS = ["mean", "max", "last_token", "abs_max", "weighted_mean"] as const

/** A pooling operation of `embed`. */
export const Pooling = Schema.Literal(...POOLING_OPTIONS).annotations({ identifier: "Pooling" })
export type Pooling = typeof Pooling.Type

/**
 * `POST embed`: raw hidden-state embeddings of chosen layers with chosen poolings. (The API
 * marks it deprecated in favour of `semantic_embed` and `embeddings`; it is still served.)
 * As the Python client does, `tokens`, `normalize` and `controlLogAdditive` are always sent.
 */
export class EmbeddingRequest extends SafeClass<EmbeddingRequest, { readonly prompt: Prompt.Input }>(
  "aleph-alpha-client/EmbeddingRequest"
)({
  /** A `Prompt`, a string or a list of prompt items (plain objects too). */
  prompt: Prompt,
  /**
   * Layer indices (at least one): 0 = the input word embeddings, 1 = the output of the first
   * transformer layer, …; -1 = the last layer (not the LM head), -2 the one before, …
   */
  layers: Schema.Array(Schema.Int).pipe(Schema.minItems(1)),
  /** Pooling operations (at least one), each applied to every layer: see {@link POOLING_OPTIONS}. */
  pooling: Schema.Array(Pooling).pipe(Schema.minItems(1)),
  /** Legacy embedding type; do not use. Default: unset. */
  type: optional(Schema.String, "type"),
  /** Also return the prompt's tokens. Default: false. */
  tokens: withDefault(Schema.Boolean, "tokens", () => false),
  normalize,
  ...controlFields
}, undefined, fieldsOf({ prompt: promptInput })) {}

/**
 * A layer or pooling name of `embed`'s answer. A record's keys that fail it are skipped, and
 * `__proto__` must be: decoding assigns each key, and that one would set the prototype instead.
 */
const EmbeddingKey = Schema.String.pipe(Schema.filter((key) => key !== "__proto__"))

/**
 * The answer of `embed`. `embeddings` is keyed as on the wire, by layer then pooling:
 * `response.embeddings["layer_40"]?.["mean"]`. Negative layers come back resolved (on a
 * 40-layer model, -1 is `"layer_40"`).
 */
export class EmbeddingResponse extends Schema.Class<EmbeddingResponse>("aleph-alpha-client/EmbeddingResponse")({
  modelVersion,
  embeddings: Schema.Record({
    key: EmbeddingKey,
    value: Schema.Record({ key: EmbeddingKey, value: EmbeddingVector })
  }),
  /** The prompt's tokens when the request asked for them (`tokens: true`), else null. */
  tokens: Schema.optionalWith(Schema.NullOr(Schema.Array(Schema.String)), { default: () => null }),
  numTokensPromptTotal,
  message
}) {}

// ---------------------------------------------------------------------------------------------
// semantic_embed (§4.4), batch_semantic_embed (§4.5)
// ---------------------------------------------------------------------------------------------

/**
 * How a semantic embedding is meant to be compared: `symmetric` with other symmetric
 * embeddings (similarity, clustering, classification); `document` and `query` with each other
 * (asymmetric search: short queries against longer documents).
 */
export const SemanticRepresentation = Schema.Literal("symmetric", "document", "query").annotations({
  identifier: "SemanticRepresentation"
})
export type SemanticRepresentation = typeof SemanticRepresentation.Type

const semanticFields = {
  representation: SemanticRepresentation,
  /**
   * Compress the vector to this many dimensions; the API supports 128 only (a few per cent less
   * accurate, much smaller). Default: unset (the model's full size, 5120 for luminous-base).
   */
  compressToSize: optional(Schema.Literal(128), "compress_to_size"),
  normalize,
  ...controlFields
}

/** `POST semantic_embed`: one semantic embedding of one prompt. */
export class SemanticEmbeddingRequest
  extends SafeClass<SemanticEmbeddingRequest, { readonly prompt: Prompt.Input }>(
    "aleph-alpha-client/SemanticEmbeddingRequest"
  )({
    /** A `Prompt`, a string or a list of prompt items (plain objects too). */
    prompt: Prompt,
    ...semanticFields
  }, undefined, fieldsOf({ prompt: promptInput }))
{}

/** The answer of `semantic_embed`. */
export class SemanticEmbeddingResponse
  extends Schema.Class<SemanticEmbeddingResponse>("aleph-alpha-client/SemanticEmbeddingResponse")({
    modelVersion,
    embedding: EmbeddingVector,
    numTokensPromptTotal,
    message
  })
{}

/**
 * `POST batch_semantic_embed`: semantic embeddings of many prompts with the same options.
 * `batchSemanticEmbed` sends them in requests of at most `batchSize` (≤ 100, the API's limit)
 * prompts; the list itself may be longer, but not empty.
 */
export class BatchSemanticEmbeddingRequest
  extends SafeClass<BatchSemanticEmbeddingRequest, { readonly prompts: ReadonlyArray<Prompt.Input> }>(
    "aleph-alpha-client/BatchSemanticEmbeddingRequest"
  )({
    /** The prompts, at least one: each a `Prompt`, a string or a list of prompt items. */
    prompts: Schema.Array(Prompt).pipe(Schema.minItems(1)),
    ...semanticFields
  }, undefined, fieldsOf({ prompts: arrayOf(promptInput) }))
{}

/**
 * The answer of `batch_semantic_embed`: one vector per prompt, in prompt order, and the token
 * count over all prompts. From `batchSemanticEmbed`, `modelVersion` is the last batch's.
 */
export class BatchSemanticEmbeddingResponse
  extends Schema.Class<BatchSemanticEmbeddingResponse>("aleph-alpha-client/BatchSemanticEmbeddingResponse")({
    modelVersion,
    embeddings: Schema.Array(EmbeddingVector),
    numTokensPromptTotal
  })
{}

/** What `batchSemanticEmbedStream` emits per request, as each completes (in any order). */
export interface SemanticEmbeddingBatch {
  /** The index in `request.prompts` of this batch's first prompt. */
  readonly offset: number
  /** One vector per prompt of the batch, in prompt order: `embeddings[i]` is prompt `offset + i`. */
  readonly embeddings: ReadonlyArray<EmbeddingVector>
  /** Tokens of this batch's prompts. */
  readonly numTokensPromptTotal: number
  readonly modelVersion: string
}

/** Progress of `batchSemanticEmbed`: how many prompts are embedded, of how many. */
export interface BatchProgress {
  readonly completed: number
  readonly total: number
}

/** Options of `batchSemanticEmbed` and `batchSemanticEmbedStream`. */
export interface BatchSemanticEmbedOptions {
  /** Prompts per request, 1–100 (the API's limit). Default: 100. */
  readonly batchSize?: number | undefined
  /** Requests in flight at once, at least 1. Default: 1. */
  readonly concurrency?: number | undefined
  /**
   * Called after each batch with the prompts embedded so far, in completion order; the last
   * call has `completed === total`. It may return an `Effect<void>`, which runs before the
   * batch counts as done: one that cannot fail and needs no services, so that the call's error
   * type stays `ApiError` (handle your errors inside it, e.g. with `Effect.ignore`). A throw, or
   * a defect of that Effect, is a defect of the call. Default: none.
   */
  readonly onProgress?: ((progress: BatchProgress) => void | Effect.Effect<void>) | undefined
}

/** `BatchSemanticEmbedOptions` of `AsyncClient`, whose `onProgress` is a plain callback. */
export interface AsyncBatchSemanticEmbedOptions extends Omit<BatchSemanticEmbedOptions, "onProgress"> {
  /**
   * Called after each batch with the prompts embedded so far, in completion order; the last
   * call has `completed === total`. What it returns is ignored. Default: none.
   */
  readonly onProgress?: ((progress: BatchProgress) => void) | undefined
}

// ---------------------------------------------------------------------------------------------
// instructable_embed (§4.6)
// ---------------------------------------------------------------------------------------------

/** `POST instructable_embed`: an embedding steered by a free-text instruction (Pharia embedding models). */
export class InstructableEmbeddingRequest
  extends SafeClass<InstructableEmbeddingRequest, { readonly input: Prompt.Input }>(
    "aleph-alpha-client/InstructableEmbeddingRequest"
  )({
    /** What to embed (sent as `input`): a `Prompt`, a string or a list of prompt items. */
    input: Prompt,
    /** What the embedding is for, e.g. "Represent the text to query a database of salutations"; may be "". */
    instruction: Schema.String,
    normalize,
    ...controlFields
  }, undefined, fieldsOf({ input: promptInput }))
{}

/** The answer of `instructable_embed`. */
export class InstructableEmbeddingResponse
  extends Schema.Class<InstructableEmbeddingResponse>("aleph-alpha-client/InstructableEmbeddingResponse")({
    modelVersion,
    embedding: EmbeddingVector,
    numTokensPromptTotal,
    message
  })
{}

// ---------------------------------------------------------------------------------------------
// lean decoding of the answers with vectors
// ---------------------------------------------------------------------------------------------

/**
 * A response class decoded from its flat wire struct, then built without re-validation. Through
 * the class's own schema every vector is checked twice (renaming a snake_case field validates
 * the renamed struct's type side again), which doubled the decode time of a batch answer.
 * `names` maps each wire key to its field name, in the class's field order.
 */
const fromWire = <Self, I>(
  Class: Schema.Schema<Self, I> & (new(props: any, disableValidation: true) => Self),
  wireFields: Schema.Struct.Fields,
  names: Readonly<Record<string, string>>
): Schema.Schema<Self, I> =>
  Schema.transform(Schema.Struct(wireFields), Schema.typeSchema(Class), {
    strict: false,
    decode: (wire: Record<string, unknown>) => {
      const props: Record<string, unknown> = {}
      for (const key in names) if (key in wire) props[names[key]!] = wire[key]
      return new Class(props, true)
    },
    encode: (self: any) => {
      const wire: Record<string, unknown> = {}
      for (const key in names) if (names[key]! in self) wire[key] = self[names[key]!]
      return wire
    }
  }) as any

const answerFields = {
  model_version: Schema.String,
  num_tokens_prompt_total: Schema.Int,
  message
}
const singleNames = {
  model_version: "modelVersion",
  embedding: "embedding",
  num_tokens_prompt_total: "numTokensPromptTotal",
  message: "message"
}

/** @internal the decoder `embed` uses: the same result as `EmbeddingResponse`'s own schema. */
export const EmbeddingResponseFromWire = fromWire(EmbeddingResponse, {
  ...answerFields,
  embeddings: EmbeddingResponse.fields.embeddings,
  tokens: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
}, {
  model_version: "modelVersion",
  embeddings: "embeddings",
  tokens: "tokens",
  num_tokens_prompt_total: "numTokensPromptTotal",
  message: "message"
})

/** @internal the decoder `semanticEmbed` uses: the same result as `SemanticEmbeddingResponse`'s own schema. */
export const SemanticEmbeddingResponseFromWire = fromWire(
  SemanticEmbeddingResponse,
  { ...answerFields, embedding: EmbeddingVector },
  singleNames
)

const BatchSemanticEmbeddingResponseWire = fromWire(
  BatchSemanticEmbeddingResponse,
  {
    model_version: Schema.String,
    embeddings: Schema.Array(EmbeddingVector),
    num_tokens_prompt_total: Schema.Int
  },
  { model_version: "modelVersion", embeddings: "embeddings", num_tokens_prompt_total: "numTokensPromptTotal" }
)

/** A well-formed batch answer checked by hand (see below), else `undefined`. */
const plainBatchAnswer = (u: unknown): BatchSemanticEmbeddingResponse | undefined => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return undefined
  const { embeddings, model_version, num_tokens_prompt_total } = u as Record<string, unknown>
  if (typeof model_version !== "string" || !Number.isSafeInteger(num_tokens_prompt_total) || !Array.isArray(embeddings)) {
    return undefined
  }
  for (let i = 0; i < embeddings.length; i++) if (firstInvalid(embeddings[i]) !== -1) return undefined
  return new BatchSemanticEmbeddingResponse(
    { modelVersion: model_version, embeddings, numTokensPromptTotal: num_tokens_prompt_total as number },
    true
  )
}

/**
 * @internal the decoder `batchSemanticEmbed` uses: the same result as `BatchSemanticEmbeddingResponse`'s
 * own schema. A well-formed answer (every answer of a working server) is checked by hand and keeps
 * the array `JSON.parse` built; anything else goes through the schema above, for its error.
 */
export const BatchSemanticEmbeddingResponseFromWire: Schema.Schema<
  BatchSemanticEmbeddingResponse,
  Schema.Schema.Encoded<typeof BatchSemanticEmbeddingResponseWire>
> = Schema.declare([], {
  decode: () => (input, options) => {
    const plain = plainBatchAnswer(input)
    return plain === undefined ? ParseResult.decodeUnknown(BatchSemanticEmbeddingResponseWire)(input, options) : ParseResult.succeed(plain)
  },
  encode: () => (input, options) => ParseResult.encodeUnknown(BatchSemanticEmbeddingResponseWire)(input, options)
}, { identifier: "BatchSemanticEmbeddingResponseFromWire" })

/** @internal the decoder `instructableEmbed` uses: the same result as `InstructableEmbeddingResponse`'s own schema. */
export const InstructableEmbeddingResponseFromWire = fromWire(
  InstructableEmbeddingResponse,
  { ...answerFields, embedding: EmbeddingVector },
  singleNames
)

// ---------------------------------------------------------------------------------------------
// embeddings (§4.7, OpenAI-compatible)
// ---------------------------------------------------------------------------------------------

const TokenIds = Schema.Array(Schema.NonNegativeInt).pipe(Schema.minItems(1))

/**
 * What `embeddings` embeds: a string, a non-empty list of strings, token ids (one list is one
 * input) or lists of token ids (many inputs). Plain text only: no prompt items.
 */
export const EmbeddingV2Input = Schema.Union(
  Schema.String,
  Schema.Array(Schema.String).pipe(Schema.minItems(1)),
  TokenIds,
  Schema.Array(TokenIds).pipe(Schema.minItems(1))
).annotations({ identifier: "EmbeddingV2Input" })
export type EmbeddingV2Input = typeof EmbeddingV2Input.Type

/** How `embeddings` sends its vectors: JSON numbers, or base64 of little-endian float32. */
export const EmbeddingEncodingFormat = Schema.Literal("float", "base64").annotations({
  identifier: "EmbeddingEncodingFormat"
})
export type EmbeddingEncodingFormat = typeof EmbeddingEncodingFormat.Type

/**
 * `POST embeddings`, the OpenAI-compatible endpoint (only models configured for it). Only set
 * fields are sent.
 */
export class EmbeddingV2Request extends SafeClass<EmbeddingV2Request>("aleph-alpha-client/EmbeddingV2Request")({
  input: EmbeddingV2Input,
  /** The output size; not every model supports it. Default: the model's size. */
  dimensions: optional(Schema.Int.pipe(Schema.positive()), "dimensions"),
  /**
   * `"float"` or `"base64"` (smaller on the wire). Either way the response holds plain number
   * arrays: base64 is decoded here. Default: unset (the server sends floats).
   */
  encodingFormat: optional(EmbeddingEncodingFormat, "encoding_format")
}) {}

/** One vector of an `embeddings` answer. */
export class EmbeddingV2ResponseData
  extends Schema.Class<EmbeddingV2ResponseData>("aleph-alpha-client/EmbeddingV2ResponseData")({
    /** `"embedding"`. */
    object: Schema.String,
    /**
     * The vector. A base64 answer (`encodingFormat: "base64"`) is decoded as little-endian
     * float32 into plain numbers, so the type is the same whatever the wire format.
     */
    embedding: Schema.Union(EmbeddingVector, Base64EmbeddingVector),
    /** The input this vector belongs to. */
    index: Schema.Int
  })
{}

/** Token usage of an `embeddings` call. */
export class EmbeddingV2Usage extends Schema.Class<EmbeddingV2Usage>("aleph-alpha-client/EmbeddingV2Usage")({
  promptTokens: wire(Schema.Int, "prompt_tokens"),
  totalTokens: wire(Schema.Int, "total_tokens")
}) {}

/** The answer of `embeddings`. */
export class EmbeddingV2Response extends Schema.Class<EmbeddingV2Response>("aleph-alpha-client/EmbeddingV2Response")({
  /** `"list"`. */
  object: Schema.String,
  data: Schema.Array(EmbeddingV2ResponseData),
  model: Schema.String,
  usage: EmbeddingV2Usage
}) {}

export declare namespace EmbeddingRequest {
  /** What `new EmbeddingRequest`, `EmbeddingRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof EmbeddingRequest>
}

export declare namespace SemanticEmbeddingRequest {
  /** What `new SemanticEmbeddingRequest`, `SemanticEmbeddingRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof SemanticEmbeddingRequest>
}

export declare namespace BatchSemanticEmbeddingRequest {
  /** What `new BatchSemanticEmbeddingRequest`, `BatchSemanticEmbeddingRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof BatchSemanticEmbeddingRequest>
}

export declare namespace InstructableEmbeddingRequest {
  /** What `new InstructableEmbeddingRequest`, `InstructableEmbeddingRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof InstructableEmbeddingRequest>
}

export declare namespace EmbeddingV2Request {
  /** What `new EmbeddingV2Request`, `EmbeddingV2Request.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof EmbeddingV2Request>
}
