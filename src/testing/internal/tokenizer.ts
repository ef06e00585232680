/**
 * The fake server's tokenizer: a tiny byte-level BPE (GPT-2 style) with a vocabulary of all
 * 256 bytes, one special token and the merges of a small BPE training run over a few hundred
 * common words (each then one token, with or without a leading space). It is
 * served as a Hugging Face `tokenizer.json` document (`GET models/{model}/tokenizer`), and
 * `tokenize` / `detokenize` use the same vocabulary and merges, so offline tokenisation with
 * the served document matches the endpoints (as the API reference requires of the real one).
 * Pure and deterministic; built once, on first use.
 */

/** The special token, id 0. */
export const END_OF_TEXT = "<|endoftext|>"

// Words that become single tokens (with and without a leading space), in merge order.
const WORDS = (
  "the of and to a in is it you that he was for on are with as I his they be at one have this from " +
  "or had by not word but what some we can out other were all there when up use your how said an " +
  "each she which do their time if will way about many then them write would like so these her long " +
  "make thing see him two has look more day could go come did number sound no most people my over " +
  "know water than call first who may down side been now find any new work part take get place made " +
  "live where after back little only round man year came show every good me give our under name very " +
  "through just form sentence great think say help low line differ turn cause much mean before move " +
  "right boy old too same tell does set three want air well also play small end put home read hand " +
  "port large spell add even land here must big high such follow act why ask men change went light " +
  "kind off need house picture try us again animal point mother world near build self earth father " +
  "Hello hello Hi An A The This What How Why Who apple keeps doctor away fake Aleph Alpha server " +
  "model prompt token tokens text image am programmer French pizza cheese favourite food capital " +
  "France Paris Brazil Brasilia Germany Berlin horses cows animals quick brown fox jumps lazy dog " +
  "cat question answer translate translation German English language test tests client"
).split(" ")

// Punctuation and digits that get a merged form with a leading space.
const SYMBOLS = [".", ",", "!", "?", ":", ";", "'", "\"", "(", ")", "-", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]

/** GPT-2's map from bytes to printable characters (a space is `Ġ`). */
const BYTE_TO_CHAR: ReadonlyArray<string> = (() => {
  const printable: Array<number> = []
  for (let b = 33; b <= 126; b++) printable.push(b)
  for (let b = 161; b <= 172; b++) printable.push(b)
  for (let b = 174; b <= 255; b++) printable.push(b)
  const table = new Array<string>(256)
  for (const b of printable) table[b] = String.fromCodePoint(b)
  let next = 0
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCodePoint(256 + next++)
  }
  return table
})()

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((char, byte) => [char, byte]))

const encoder = new TextEncoder()
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true })

const toByteChars = (text: string): string => Array.from(encoder.encode(text), (byte) => BYTE_TO_CHAR[byte]!).join("")

// The ByteLevel pre-tokenizer's split (GPT-2's pattern).
const PRE_TOKENIZE = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu

interface Built {
  readonly vocab: ReadonlyMap<string, number>
  readonly tokens: ReadonlyArray<string>
  readonly merges: ReadonlyArray<readonly [string, string]>
  readonly ranks: ReadonlyMap<string, number>
}

let built: Built | undefined

const build = (): Built => {
  if (built !== undefined) return built
  const vocab = new Map<string, number>()
  const tokens: Array<string> = []
  const add = (token: string) => {
    if (!vocab.has(token)) {
      vocab.set(token, tokens.length)
      tokens.push(token)
    }
  }
  add(END_OF_TEXT)
  for (const char of BYTE_TO_CHAR) add(char)
  // A small BPE training run over the pieces (each word with and without a leading space):
  // merge the most frequent adjacent pair (ties: the first seen) until every piece is one token.
  const pieces = [...WORDS.flatMap((word) => [word, ` ${word}`]), ...SYMBOLS.map((symbol) => ` ${symbol}`)]
  const words = [...new Set(pieces)].map((piece) => Array.from(toByteChars(piece)))
  const merges: Array<readonly [string, string]> = []
  const ranks = new Map<string, number>()
  const counts = new Map<string, number>()
  const count = (word: ReadonlyArray<string>, delta: number) => {
    for (let i = 0; i < word.length - 1; i++) {
      const key = `${word[i]} ${word[i + 1]}`
      counts.set(key, (counts.get(key) ?? 0) + delta)
    }
  }
  for (const word of words) count(word, 1)
  for (;;) {
    let best: string | undefined
    let bestCount = 0
    for (const [key, n] of counts) {
      if (n > bestCount) {
        best = key
        bestCount = n
      }
    }
    if (best === undefined) break
    const [left, right] = best.split(" ") as [string, string]
    ranks.set(best, merges.length)
    merges.push([left, right])
    add(left + right)
    for (const word of words) {
      let merged = false
      for (let i = 0; i < word.length - 1; i++) {
        if (word[i] === left && word[i + 1] === right) {
          if (!merged) count(word, -1)
          merged = true
          word.splice(i, 2, left + right)
        }
      }
      if (merged) count(word, 1)
    }
  }
  return built = { vocab, tokens, merges, ranks }
}

/** The tokenizer as a Hugging Face `tokenizer.json` document. */
export const tokenizerJson = (): Record<string, unknown> => {
  const { merges, vocab } = build()
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true }
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      { id: 0, content: END_OF_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }
    ],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges: merges.map(([a, b]) => `${a} ${b}`)
    }
  }
}

/** BPE of one pre-token: repeatedly merges the leftmost pair of the lowest rank. */
const bpe = (piece: string, ranks: ReadonlyMap<string, number>): Array<string> => {
  const parts = Array.from(piece)
  for (;;) {
    let best = -1
    let bestRank = Infinity
    for (let i = 0; i < parts.length - 1; i++) {
      const rank = ranks.get(`${parts[i]} ${parts[i + 1]}`)
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank
        best = i
      }
    }
    if (best < 0) return parts
    parts.splice(best, 2, parts[best]! + parts[best + 1]!)
  }
}

/** Token strings and ids of `text`, as the served tokenizer encodes it. */
export const encode = (text: string): { readonly tokens: ReadonlyArray<string>; readonly ids: ReadonlyArray<number> } => {
  const { ranks, vocab } = build()
  const tokens: Array<string> = []
  text.split(END_OF_TEXT).forEach((section, index) => {
    if (index > 0) tokens.push(END_OF_TEXT)
    for (const match of section.match(PRE_TOKENIZE) ?? []) tokens.push(...bpe(toByteChars(match), ranks))
  })
  return { tokens, ids: tokens.map((token) => vocab.get(token)!) }
}

/** The text of `ids`; `undefined` when an id is not in the vocabulary. */
export const decode = (ids: ReadonlyArray<number>): string | undefined => {
  const { tokens } = build()
  let text = ""
  let bytes: Array<number> = []
  const flush = () => {
    text += decoder.decode(new Uint8Array(bytes))
    bytes = []
  }
  for (const id of ids) {
    const token = tokens[id]
    if (token === undefined) return undefined
    if (token === END_OF_TEXT) {
      flush()
      text += token
      continue
    }
    for (const char of token) bytes.push(CHAR_TO_BYTE.get(char)!)
  }
  flush()
  return text
}

/** The size of the vocabulary. */
export const vocabularySize = (): number => build().tokens.length
