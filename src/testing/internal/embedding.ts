/**
 * Deterministic stand-ins for embeddings. Everything here is a pure function of the body.
 *
 * A prompt is cut into pieces: one per whitespace-separated word of a text item (lower-cased),
 * one per token id, one per image. Each piece has a pseudo-random vector seeded by its text
 * (FNV-1a + mulberry32, values in [-1, 1)), so prompts that share words have similar
 * embeddings. A semantic embedding is the mean of the piece vectors plus a smaller vector
 * seeded by the representation (or the instruction); `embed` pools per-layer piece vectors with
 * the requested poolings, for real (so a one-piece prompt gives identical poolings). Values are
 * float32 (`Math.fround`), so a base64 answer decodes to exactly the float answer. Token counts
 * follow `complete`: one per word, one per token id, 144 per image, at least 1 per prompt.
 */
import * as Encoding from "effect/Encoding"
import { isObject, type JsonObject } from "./generation.js"

/** The vector size when the request does not choose one. */
export const DEFAULT_EMBEDDING_SIZE = 128
/** The fake model's depth: `embed` layer -1 is `layer_40`, as on luminous-base. */
export const LAYERS = 40
/** The API's limit of prompts per `batch_semantic_embed` request. */
export const MAX_BATCH = 100
/** The largest `dimensions` the fake `embeddings` endpoint accepts. */
export const MAX_DIMENSIONS = 8192

const MODEL_VERSION = "2022-04"
const IMAGE_TOKENS = 144
// Pieces beyond this do not move the vector (keeps huge prompts cheap).
const PIECE_CAP = 2048

const POOLINGS: ReadonlySet<unknown> = new Set(["mean", "max", "last_token", "abs_max", "weighted_mean"])
const REPRESENTATIONS: ReadonlySet<unknown> = new Set(["symmetric", "document", "query"])

/** A request the fake API rejects: a 400 with this message. */
export interface Invalid {
  readonly invalid: string
}

/** The answer, or why the request is rejected. */
export type Result = JsonObject | Invalid

export const isInvalid = (result: Result): result is Invalid => typeof (result as Invalid).invalid === "string"

const invalid = (message: string): Invalid => ({ invalid: message })

// ---------------------------------------------------------------------------------------------
// vectors
// ---------------------------------------------------------------------------------------------

const fnv1a = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** The pseudo-random vector of `key`: `size` values in [-1, 1). */
const seeded = (key: string, size: number): Float64Array => {
  let state = fnv1a(key)
  const out = new Float64Array(size)
  for (let i = 0; i < size; i++) {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1
  }
  return out
}

const finish = (vector: Float64Array, normalize: boolean): Array<number> => {
  let scale = 1
  if (normalize) {
    let sum = 0
    for (const x of vector) sum += x * x
    scale = sum > 0 ? 1 / Math.sqrt(sum) : 1
  }
  const out = new Array<number>(vector.length)
  for (let i = 0; i < vector.length; i++) out[i] = Math.fround(vector[i]! * scale)
  return out
}

// ---------------------------------------------------------------------------------------------
// prompts
// ---------------------------------------------------------------------------------------------

interface Pieces {
  /** What the vectors are seeded by. */
  readonly pieces: ReadonlyArray<string>
  /** The tokens the prompt counts as. */
  readonly tokens: number
}

const words = (text: string) => text.split(/\s+/).filter((word) => word.length > 0).map((word) => word.toLowerCase())

/** Cuts a prompt (wire form: a string or an item list) into pieces; `undefined` if it is no prompt. */
const piecesOf = (prompt: unknown): Pieces | undefined => {
  if (typeof prompt === "string") {
    const w = words(prompt)
    return { pieces: w, tokens: Math.max(1, w.length) }
  }
  if (!Array.isArray(prompt)) return undefined
  const pieces: Array<string> = []
  let tokens = 0
  for (const item of prompt) {
    if (!isObject(item)) return undefined
    if (item.type === "text" && typeof item.data === "string") {
      const w = words(item.data)
      pieces.push(...w)
      tokens += w.length
    } else if (item.type === "token_ids" && Array.isArray(item.data)) {
      for (const id of item.data) pieces.push(`<token_id:${String(id)}>`)
      tokens += item.data.length
    } else if (item.type === "image" && typeof item.data === "string") {
      pieces.push(`<image:${fnv1a(item.data).toString(16)}:${item.data.length}>`)
      tokens += IMAGE_TOKENS
    } else {
      return undefined
    }
  }
  return { pieces, tokens: Math.max(1, tokens) }
}

const mean = (vectors: ReadonlyArray<Float64Array>, size: number): Float64Array => {
  const out = new Float64Array(size)
  if (vectors.length === 0) return out
  for (const v of vectors) for (let i = 0; i < size; i++) out[i]! += v[i]!
  for (let i = 0; i < size; i++) out[i]! /= vectors.length
  return out
}

const pieceVectors = (pieces: ReadonlyArray<string>, prefix: string, size: number) =>
  pieces.slice(0, PIECE_CAP).map((piece) => seeded(`${prefix}${piece}`, size))

/** Mean of the piece vectors plus 0.25 × the vector of `flavour`. */
const semanticVector = (pieces: Pieces, flavour: string, size: number, normalize: boolean): Array<number> => {
  const base = mean(pieceVectors(pieces.pieces.length > 0 ? pieces.pieces : ["<empty>"], "", size), size)
  const extra = seeded(`flavour:${flavour}`, size)
  for (let i = 0; i < size; i++) base[i]! += 0.25 * extra[i]!
  return finish(base, normalize)
}

const pool = (vectors: ReadonlyArray<Float64Array>, pooling: string, size: number): Float64Array => {
  switch (pooling) {
    case "max":
    case "abs_max": {
      const out = Float64Array.from(vectors[0]!)
      for (const v of vectors.slice(1)) {
        for (let i = 0; i < size; i++) {
          const x = v[i]!
          if (pooling === "max" ? x > out[i]! : Math.abs(x) > Math.abs(out[i]!)) out[i] = x
        }
      }
      return out
    }
    case "last_token":
      return Float64Array.from(vectors[vectors.length - 1]!)
    case "weighted_mean": {
      const out = new Float64Array(size)
      let weights = 0
      vectors.forEach((v, position) => {
        const weight = position + 1
        weights += weight
        for (let i = 0; i < size; i++) out[i]! += weight * v[i]!
      })
      for (let i = 0; i < size; i++) out[i]! /= weights
      return out
    }
    default:
      return mean(vectors, size)
  }
}

const flag = (u: unknown, name: string): boolean | Invalid =>
  u === undefined || u === null ? false : typeof u === "boolean" ? u : invalid(`\`${name}\` must be a boolean`)

// ---------------------------------------------------------------------------------------------
// endpoints
// ---------------------------------------------------------------------------------------------

/** `POST embed`: every requested layer × pooling, `size` floats each. */
export const embedResponse = (body: JsonObject, size: number): Result => {
  const prompt = piecesOf(body.prompt)
  if (prompt === undefined) return invalid("`prompt` must be a prompt")
  const { layers, pooling } = body
  if (!Array.isArray(layers) || layers.length === 0) return invalid("`layers` must be a non-empty list of integers")
  if (!Array.isArray(pooling) || pooling.length === 0) return invalid("`pooling` must be a non-empty list")
  const normalize = flag(body.normalize, "normalize")
  if (typeof normalize !== "boolean") return normalize
  for (const p of pooling) {
    if (!POOLINGS.has(p)) return invalid(`Unknown pooling ${JSON.stringify(p)}`)
  }
  const pieces = prompt.pieces.length > 0 ? prompt.pieces : ["<empty>"]
  const embeddings: Record<string, Record<string, Array<number>>> = {}
  for (const layer of layers) {
    if (typeof layer !== "number" || !Number.isSafeInteger(layer) || layer > LAYERS || layer < -(LAYERS + 1)) {
      return invalid(`Layer ${JSON.stringify(layer)} is out of range for a model with ${LAYERS} layers`)
    }
    const resolved = layer < 0 ? LAYERS + 1 + layer : layer
    const vectors = pieceVectors(pieces, `layer_${resolved}:`, size)
    const byPooling: Record<string, Array<number>> = {}
    for (const p of pooling as ReadonlyArray<string>) byPooling[p] = finish(pool(vectors, p, size), normalize)
    embeddings[`layer_${resolved}`] = byPooling
  }
  return {
    model_version: MODEL_VERSION,
    embeddings,
    tokens: body.tokens === true ? prompt.pieces : null,
    num_tokens_prompt_total: prompt.tokens
  }
}

interface SemanticOptions {
  readonly representation: string
  readonly size: number
  readonly normalize: boolean
}

const semanticOptions = (body: JsonObject, defaultSize: number): SemanticOptions | Invalid => {
  if (!REPRESENTATIONS.has(body.representation)) {
    return invalid("`representation` must be one of symmetric, document, query")
  }
  const compress = body.compress_to_size
  if (compress !== undefined && compress !== null && compress !== 128) {
    return invalid("`compress_to_size` must be 128")
  }
  const normalize = flag(body.normalize, "normalize")
  if (typeof normalize !== "boolean") return normalize
  return { representation: body.representation as string, size: compress === 128 ? 128 : defaultSize, normalize }
}

/** `POST semantic_embed`. */
export const semanticEmbedResponse = (body: JsonObject, size: number): Result => {
  const prompt = piecesOf(body.prompt)
  if (prompt === undefined) return invalid("`prompt` must be a prompt")
  const options = semanticOptions(body, size)
  if ("invalid" in options) return options
  return {
    model_version: MODEL_VERSION,
    embedding: semanticVector(prompt, options.representation, options.size, options.normalize),
    num_tokens_prompt_total: prompt.tokens
  }
}

/** `POST batch_semantic_embed`: at most {@link MAX_BATCH} prompts, each embedded as `semantic_embed` would. */
export const batchSemanticEmbedResponse = (body: JsonObject, size: number): Result => {
  const { prompts } = body
  if (!Array.isArray(prompts) || prompts.length === 0) return invalid("`prompts` must be a non-empty list of prompts")
  if (prompts.length > MAX_BATCH) return invalid(`At most ${MAX_BATCH} prompts per request, got ${prompts.length}`)
  const options = semanticOptions(body, size)
  if ("invalid" in options) return options
  const embeddings: Array<Array<number>> = []
  let tokens = 0
  for (const [index, raw] of prompts.entries()) {
    const prompt = piecesOf(raw)
    if (prompt === undefined) return invalid(`\`prompts[${index}]\` must be a prompt`)
    embeddings.push(semanticVector(prompt, options.representation, options.size, options.normalize))
    tokens += prompt.tokens
  }
  return { model_version: MODEL_VERSION, embeddings, num_tokens_prompt_total: tokens }
}

/** `POST instructable_embed`: the instruction takes the representation's place. */
export const instructableEmbedResponse = (body: JsonObject, size: number): Result => {
  const prompt = piecesOf(body.input)
  if (prompt === undefined) return invalid("`input` must be a prompt")
  if (typeof body.instruction !== "string") return invalid("`instruction` must be a string")
  const normalize = flag(body.normalize, "normalize")
  if (typeof normalize !== "boolean") return normalize
  return {
    model_version: MODEL_VERSION,
    embedding: semanticVector(prompt, `instruction:${body.instruction}`, size, normalize),
    num_tokens_prompt_total: prompt.tokens
  }
}

const isTokenIds = (u: unknown): u is ReadonlyArray<number> =>
  Array.isArray(u) && u.length > 0 && u.every((id) => typeof id === "number" && Number.isSafeInteger(id) && id >= 0)

/** The inputs of `embeddings` as prompts, or `undefined` when `input` has none of its shapes. */
const inputsOf = (input: unknown): ReadonlyArray<Pieces> | undefined => {
  if (typeof input === "string") return [piecesOf(input)!]
  if (isTokenIds(input)) return [piecesOf([{ type: "token_ids", data: input }])!]
  if (!Array.isArray(input) || input.length === 0) return undefined
  if (input.every((item) => typeof item === "string")) return input.map((item: string) => piecesOf(item)!)
  if (input.every(isTokenIds)) return input.map((ids) => piecesOf([{ type: "token_ids", data: ids }])!)
  return undefined
}

const float32Base64 = (vector: ReadonlyArray<number>): string => {
  const bytes = new Uint8Array(vector.length * 4)
  const view = new DataView(bytes.buffer)
  vector.forEach((x, i) => view.setFloat32(i * 4, x, true))
  return Encoding.encodeBase64(bytes)
}

/** `POST embeddings` (OpenAI-compatible): symmetric semantic vectors of `dimensions` floats. */
export const embeddingsResponse = (body: JsonObject, size: number): Result => {
  const inputs = inputsOf(body.input)
  if (inputs === undefined) {
    return invalid("`input` must be a string, a list of strings, a list of token ids or a list of such lists")
  }
  const { dimensions, encoding_format: format } = body
  if (
    dimensions !== undefined &&
    !(typeof dimensions === "number" && Number.isSafeInteger(dimensions) && dimensions >= 1 && dimensions <= MAX_DIMENSIONS)
  ) {
    return invalid(`\`dimensions\` must be an integer from 1 to ${MAX_DIMENSIONS}`)
  }
  if (format !== undefined && format !== "float" && format !== "base64") {
    return invalid("`encoding_format` must be float or base64")
  }
  if (body.user !== undefined) return invalid("`user` is not supported")
  const tokens = inputs.reduce((sum, input) => sum + input.tokens, 0)
  return {
    object: "list",
    data: inputs.map((input, index) => {
      const vector = semanticVector(input, "symmetric", dimensions ?? size, false)
      return { object: "embedding", embedding: format === "base64" ? float32Base64(vector) : vector, index }
    }),
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens }
  }
}
