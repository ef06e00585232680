/**
 * `aleph-alpha-client/tokenizer`: a model's tokenizer working offline, built with
 * `@huggingface/tokenizers` (loaded when first used).
 */
export {
  asyncTokenizer,
  type Tokenizer,
  type TokenizerAddedToken,
  type TokenizerDecodeOptions,
  type TokenizerEncodeOptions,
  type TokenizerEncoding,
  tokenizer,
  tokenizerFromJson
} from "./Tokenizer.js"
