/**
 * Deterministic answers of the fake server for `explain`, `evaluate`, `tokenize`,
 * `detokenize`, `translate`, `rerank` and `steering_concepts`. Every answer is a pure function
 * of the request body; a body the real API would reject is a `{ error }` (answered as 400).
 *
 * * `explain` cuts text items by the requested granularity (spans in code points, whitespace
 *   and custom delimiters excluded), images into 12×12 / 6×6 / 3×3 / 1×1 tiles and token-id
 *   items per id. A segment sharing a word with the explained target counts most; the absolute
 *   scores of one explanation sum to 1 before `postprocessing` and `normalize`.
 * * `evaluate` treats the prompt's words, echoed, as the greedy continuation (as `complete`
 *   does): an expected completion that matches it is likely, anything else is not.
 * * `tokenize` / `detokenize` use the tokenizer the server serves (see `tokenizer.ts`).
 * * `translate` prefixes each sentence with `[<language>]`.
 * * `rerank` scores a document by the share of the query's content words it contains.
 * * `steering_concepts` answers a 64-hex id hashed from the examples (the same examples, the
 *   same id).
 */
import { isObject, type JsonObject, splitTokens } from "./generation.js"
import * as Tokenizer from "./tokenizer.js"

/** A task's answer: the JSON body, or what makes the request a 400. */
export type Answer = { readonly body: JsonObject } | { readonly error: string }

const MODEL_VERSION = "2022-04"
const IMAGE_TOKENS = 144

const ok = (body: JsonObject): Answer => ({ body })
const bad = (error: string): Answer => ({ error })

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

/** FNV-1a over the UTF-16 units of `text`, from `seed`. */
const hash = (text: string, seed = 0x811c9dc5): number => {
  let h = seed >>> 0
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

/** A deterministic number in [0, 1) for `text`. */
const unit = (text: string): number => hash(text) / 0x1_0000_0000

const contentWords = (text: string): Set<string> =>
  new Set(Array.from(text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu), (match) => match[0]))

const STOP_WORDS = new Set([
  "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "how", "i", "in", "is", "it", "of",
  "on", "or", "that", "the", "this", "to", "was", "what", "when", "where", "which", "who", "why", "with"
])

const shares = (a: string, b: string): boolean => {
  const words = contentWords(b)
  for (const word of contentWords(a)) if (words.has(word)) return true
  return false
}

const tokenCount = (text: string): number => Tokenizer.encode(text).ids.length

/** Prompt items as objects: a bare string is one text item. */
const promptItems = (prompt: unknown): ReadonlyArray<JsonObject> | undefined =>
  typeof prompt === "string"
    ? [{ type: "text", data: prompt }]
    : Array.isArray(prompt) && prompt.every(isObject)
    ? prompt
    : undefined

const promptTokens = (items: ReadonlyArray<JsonObject>): number =>
  items.reduce((sum, item) =>
    sum + (item.type === "text" && typeof item.data === "string"
      ? tokenCount(item.data)
      : item.type === "image"
      ? IMAGE_TOKENS
      : item.type === "token_ids" && Array.isArray(item.data)
      ? item.data.length
      : 0), 0)

/** A span of a string, in code points (as the API counts characters). */
interface Span {
  readonly start: number
  readonly length: number
  readonly text: string
}

/** The spans of the regex matches of `pattern` in `text`, trimmed of whitespace, empty ones dropped. */
const spans = (text: string, pattern: RegExp): Array<Span> => {
  const codePointAt = codePointIndex(text)
  const result: Array<Span> = []
  for (const match of text.matchAll(pattern)) {
    const raw = match[0]
    const lead = raw.length - raw.trimStart().length
    const trimmed = raw.trim()
    if (trimmed === "") continue
    const start = codePointAt(match.index + lead)
    result.push({ start, length: codePointAt(match.index + lead + trimmed.length) - start, text: trimmed })
  }
  return result
}

/** Maps a UTF-16 index of `text` to its code point index. */
const codePointIndex = (text: string): (index: number) => number => {
  if (!/[\uD800-\uDFFF]/.test(text)) return (index) => index
  const table = new Array<number>(text.length + 1)
  let cp = 0
  for (let i = 0; i < text.length; i++) {
    table[i] = cp
    const code = text.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) table[++i] = cp
    cp++
  }
  table[text.length] = cp
  return (index) => table[index] ?? cp
}

/** The parts of `text` between occurrences of `delimiter`, trimmed, empty ones dropped. */
const splitSpans = (text: string, delimiter: string): Array<Span> => {
  const codePointAt = codePointIndex(text)
  const result: Array<Span> = []
  let from = 0
  for (;;) {
    const at = text.indexOf(delimiter, from)
    const end = at < 0 ? text.length : at
    const part = text.slice(from, end)
    const trimmed = part.trim()
    if (trimmed !== "") {
      const begin = from + part.length - part.trimStart().length
      const start = codePointAt(begin)
      result.push({ start, length: codePointAt(begin + trimmed.length) - start, text: trimmed })
    }
    if (at < 0) return result
    from = at + delimiter.length
  }
}

// ---------------------------------------------------------------------------------------------
// explain
// ---------------------------------------------------------------------------------------------

type Granularity =
  | { readonly type: "token" | "word" | "sentence" | "paragraph" }
  | { readonly type: "custom"; readonly delimiter: string }
  | undefined

const WORD = /[\p{L}\p{N}_'’-]+|[^\s\p{L}\p{N}_'’-]+/gu
const TOKEN = /[\p{L}\p{N}_'’-]{1,4}|[^\s\p{L}\p{N}_'’-]/gu
const SENTENCE = /[^.!?\n]+[.!?]*/g
const PARAGRAPH = /(?:(?!\n\s*\n)[\s\S])+/g

const granularityOf = (u: unknown): Granularity | "invalid" => {
  if (u === undefined || u === null) return undefined
  if (!isObject(u)) return "invalid"
  switch (u.type) {
    case "token":
    case "word":
    case "sentence":
    case "paragraph":
      return { type: u.type }
    case "custom":
      return typeof u.delimiter === "string" && u.delimiter !== "" ? { type: "custom", delimiter: u.delimiter } : "invalid"
  }
  return "invalid"
}

const textSegments = (text: string, granularity: Granularity): Array<Span> => {
  switch (granularity?.type) {
    case "token":
      return spans(text, TOKEN)
    case "word":
      return spans(text, WORD)
    case "sentence":
      return spans(text, SENTENCE)
    case "paragraph":
      return spans(text, PARAGRAPH)
    case "custom":
      return splitSpans(text, granularity.delimiter)
    case undefined: {
      // like the API: about 30 segments
      const words = spans(text, WORD)
      return words.length <= 30 ? words : spans(text, SENTENCE)
    }
  }
}

const tilesPerSide = (granularity: Granularity): number => {
  switch (granularity?.type) {
    case "token":
      return 12
    case "word":
      return 6
    case "paragraph":
      return 1
    default:
      return 3
  }
}

/** A segment to score: what it covers, and how it appears in the answer. */
interface Segment {
  readonly key: string
  readonly text: string | undefined
  readonly shape: (score: number) => unknown
}

const raw = (segment: Segment, piece: string): number => {
  const related = segment.text !== undefined && shares(segment.text, piece)
  const weight = 0.05 + 0.45 * unit(`${segment.key}|${piece}`) + (related ? 1 : 0)
  return related || unit(`sign|${segment.key}|${piece}`) < 0.6 ? weight : -weight
}

/** The pieces of the target explained one by one, with their code point offsets. */
const targetPieces = (target: string, byToken: boolean): ReadonlyArray<{ readonly text: string; readonly start: number }> => {
  if (!byToken) return [{ text: target, start: 0 }]
  const pieces: Array<{ text: string; start: number }> = []
  let start = 0
  for (const text of splitTokens(target)) {
    pieces.push({ text, start })
    start += Array.from(text).length
  }
  return pieces.length === 0 ? [{ text: target, start: 0 }] : pieces
}

/** The JSON answer of `POST explain`. */
export const explanationResponse = (body: JsonObject): Answer => {
  const items = promptItems(body.prompt)
  if (items === undefined) return bad("Field `prompt` must be a prompt")
  if (typeof body.target !== "string") return bad("Missing field `target`")
  const target = body.target
  const granularity = granularityOf(body.prompt_granularity)
  if (granularity === "invalid") return bad("Invalid `prompt_granularity`")
  const targetGranularity = body.target_granularity ?? "complete"
  if (targetGranularity !== "complete" && targetGranularity !== "token") return bad("Invalid `target_granularity`")
  const postprocessing = body.postprocessing ?? "none"
  if (postprocessing !== "none" && postprocessing !== "absolute" && postprocessing !== "square") {
    return bad("Invalid `postprocessing`")
  }
  const normalize = body.normalize === true

  // the segments of every prompt item, independent of the target piece
  const itemSegments = items.map((item, index): { readonly type: string; readonly segments: ReadonlyArray<Segment> } => {
    if (item.type === "text" && typeof item.data === "string") {
      return {
        type: "text",
        segments: textSegments(item.data, granularity).map((span) => ({
          key: `${index}:${span.start}:${span.text}`,
          text: span.text,
          shape: (score) => ({ start: span.start, length: span.length, score })
        }))
      }
    }
    if (item.type === "image") {
      const n = tilesPerSide(granularity)
      const size = 1 / n
      const segments: Array<Segment> = []
      for (let row = 0; row < n; row++) {
        for (let column = 0; column < n; column++) {
          segments.push({
            key: `${index}:image:${row}:${column}`,
            text: undefined,
            shape: (score) => ({ rect: { top: row * size, left: column * size, width: size, height: size }, score })
          })
        }
      }
      return { type: "image", segments }
    }
    if (item.type === "token_ids" && Array.isArray(item.data)) {
      return {
        type: "token_ids",
        segments: item.data.map((id, position) => ({
          key: `${index}:token:${position}:${String(id)}`,
          text: typeof id === "number" ? Tokenizer.decode([id]) : undefined,
          shape: (score) => score
        }))
      }
    }
    return { type: typeof item.type === "string" ? item.type : "text", segments: [] }
  })

  const pieces = targetPieces(target, targetGranularity === "token")
  const explanations = pieces.map((piece, k) => {
    const targetSegments: Array<Segment> = pieces.slice(0, k).flatMap((previous) => {
      const lead = Array.from(previous.text).length - Array.from(previous.text.trimStart()).length
      const text = previous.text.trim()
      if (text === "") return []
      const start = previous.start + lead
      const length = Array.from(text).length
      return [{ key: `target:${start}`, text, shape: (score: number) => ({ start, length, score }) }]
    })
    const groups = [...itemSegments.map((item) => item.segments), targetSegments]
    const raws = groups.map((segments) => segments.map((segment) => raw(segment, piece.text)))
    // the absolute scores of one explanation sum to 1
    const total = raws.flat().reduce((sum, score) => sum + Math.abs(score), 0) || 1
    let scores = raws.map((group) =>
      group.map((score) => {
        const share = score / total
        return postprocessing === "absolute" ? Math.abs(share) : postprocessing === "square" ? share * share : share
      })
    )
    if (normalize) {
      const all = scores.flat()
      const min = Math.min(...all)
      const max = Math.max(...all)
      scores = scores.map((group) => group.map((score) => (max > min ? (score - min) / (max - min) : 0)))
    }
    const explained = itemSegments.map((item, index) => ({
      type: item.type,
      scores: item.segments.map((segment, j) => segment.shape(scores[index]![j]!))
    }))
    explained.push({
      type: "target",
      scores: targetSegments.map((segment, j) => segment.shape(scores[itemSegments.length]![j]!))
    })
    return { target: piece.text, items: explained }
  })
  return ok({ model_version: MODEL_VERSION, explanations })
}

// ---------------------------------------------------------------------------------------------
// evaluate
// ---------------------------------------------------------------------------------------------

/** The JSON answer of `POST evaluate`. */
export const evaluationResponse = (body: JsonObject): Answer => {
  const items = promptItems(body.prompt)
  if (items === undefined) return bad("Field `prompt` must be a prompt")
  if (typeof body.completion_expected !== "string") return bad("Missing field `completion_expected`")
  const expected = body.completion_expected
  const words = items.flatMap((item) =>
    item.type === "text" && typeof item.data === "string" ? item.data.split(/\s+/).filter((w) => w !== "") : []
  )
  const source = words.length > 0 ? words : ["Hello"]
  const expectedTokens = Tokenizer.encode(expected).tokens
  const count = expectedTokens.length
  // the fake model's greedy continuation: the prompt's words, echoed
  const greedyWords = Array.from({ length: Math.max(1, expected.trim().split(/\s+/).length) }, (_, i) => source[i % source.length]!)
  const correctGreedy = count > 0 && expected.trim() === greedyWords.join(" ")
  const logProbability = correctGreedy
    ? -0.0625 * count
    : -expectedTokens.reduce((sum, token, i) => sum + 0.5 + Math.round(64 * unit(`${i}:${token}`)) / 8, 0)
  const characters = Array.from(expected).length
  return ok({
    model_version: MODEL_VERSION,
    result: {
      log_probability: logProbability,
      log_perplexity: -logProbability,
      log_perplexity_per_token: count === 0 ? null : -logProbability / count,
      log_perplexity_per_character: characters === 0 ? null : -logProbability / characters,
      correct_greedy: correctGreedy,
      token_count: count,
      character_count: characters,
      completion: ` ${source[0]}`
    },
    num_tokens_prompt_total: promptTokens(items) + count
  })
}

// ---------------------------------------------------------------------------------------------
// tokenize / detokenize
// ---------------------------------------------------------------------------------------------

/** The JSON answer of `POST tokenize`. */
export const tokenizationResponse = (body: JsonObject): Answer => {
  if (typeof body.prompt !== "string") return bad("Field `prompt` must be a string")
  if (typeof body.tokens !== "boolean") return bad("Missing field `tokens`")
  if (typeof body.token_ids !== "boolean") return bad("Missing field `token_ids`")
  const encoded = Tokenizer.encode(body.prompt)
  return ok({
    tokens: body.tokens ? encoded.tokens : null,
    token_ids: body.token_ids ? encoded.ids : null
  })
}

/** The JSON answer of `POST detokenize`. */
export const detokenizationResponse = (body: JsonObject): Answer => {
  const ids = body.token_ids
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "number" && Number.isSafeInteger(id) && id >= 0)) {
    return bad("Field `token_ids` must be a list of non-negative integers")
  }
  const result = Tokenizer.decode(ids as ReadonlyArray<number>)
  return result === undefined
    ? bad(`Token ids must be below the vocabulary size ${Tokenizer.vocabularySize()}`)
    : ok({ result })
}

// ---------------------------------------------------------------------------------------------
// translate
// ---------------------------------------------------------------------------------------------

/** The JSON answer of `POST translate`. */
export const translationResponse = (body: JsonObject): Answer => {
  if (typeof body.source !== "string") return bad("Missing field `source`")
  if (typeof body.target_language !== "string" || body.target_language === "") {
    return bad("Missing field `target_language`")
  }
  const language = body.target_language
  const segments = spans(body.source, /[^.!?\n]+[.!?]*/g).map((span) => ({
    source: span.text,
    translation: `[${language}] ${span.text}`,
    score: 0.6 + Math.round(350 * unit(`${language}|${span.text}`)) / 1000
  }))
  const score = segments.length === 0 ? 0 : segments.reduce((sum, segment) => sum + segment.score, 0) / segments.length
  return ok({
    translation: segments.map((segment) => segment.translation).join(" "),
    score,
    segments,
    num_tokens_prompt_total: Array.from(body.source).length,
    num_tokens_generated: 0
  })
}

// ---------------------------------------------------------------------------------------------
// rerank
// ---------------------------------------------------------------------------------------------

/** The JSON answer of `POST rerank`. */
export const rerankResponse = (body: JsonObject): Answer => {
  if (typeof body.query !== "string") return bad("Missing field `query`")
  const documents = body.documents
  if (!Array.isArray(documents) || !documents.every((document) => typeof document === "string")) {
    return bad("Field `documents` must be a list of strings")
  }
  if (documents.length === 0) return bad("Field `documents` must not be empty")
  const topN = body.top_n
  if (topN !== undefined && topN !== null && !(typeof topN === "number" && Number.isSafeInteger(topN) && topN >= 1)) {
    return bad("Field `top_n` must be a positive integer")
  }
  const query = [...contentWords(body.query)].filter((word) => !STOP_WORDS.has(word))
  const queryTokens = tokenCount(body.query)
  let totalTokens = 0
  const results = (documents as ReadonlyArray<string>).map((document, index) => {
    const words = contentWords(document)
    const overlap = query.length === 0 ? 0 : query.filter((word) => words.has(word)).length / query.length
    // a logistic curve over the overlap, with a little deterministic jitter to break ties
    const jitter = 0.98 + 0.02 * unit(`${body.query}|${document}`)
    totalTokens += queryTokens + tokenCount(document) + 2
    return { index, relevance_score: jitter / (1 + Math.exp(-(10 * overlap - 5))) }
  })
  results.sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
  return ok({
    results: typeof topN === "number" ? results.slice(0, topN) : results,
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: totalTokens }
  })
}

// ---------------------------------------------------------------------------------------------
// steering_concepts
// ---------------------------------------------------------------------------------------------

/** The JSON answer of `POST steering_concepts` (sent with status 201). */
export const steeringConceptResponse = (body: JsonObject): Answer => {
  const examples = body.examples
  if (!Array.isArray(examples) || examples.length === 0) return bad("Field `examples` must be a non-empty list")
  if (!examples.every((e) => isObject(e) && typeof e.negative === "string" && typeof e.positive === "string")) {
    return bad("Every example needs a `negative` and a `positive` string")
  }
  const text = JSON.stringify(examples.map((e) => [e.negative, e.positive]))
  const id = Array.from({ length: 8 }, (_, i) => hash(text, hash(String(i))).toString(16).padStart(8, "0")).join("")
  return ok({ id })
}
