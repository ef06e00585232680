/**
 * Tokenizer: count and inspect tokens on the server (`tokenize`, `detokenize`), or download a
 * model's tokenizer once and work offline (`tokenizer` of `aleph-alpha-client/tokenizer`).
 *
 *   npx tsx examples/tokenizer.ts
 *
 * Runs on the embedded fake server (a tiny byte-level BPE tokenizer); set ALEPH_ALPHA_TOKEN
 * and ALEPH_ALPHA_HOST to run it against the real API.
 */
import { Console, Effect, Layer } from "effect"
import { Client, DetokenizationRequest, TokenizationRequest } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"
import { tokenizer as loadTokenizer } from "../src/tokenizer/index.js"

const model = "luminous-base"
const sentence = "An apple a day keeps the doctor away."

const program = Effect.gen(function*() {
  const client = yield* Client

  // on the server
  const tokenized = yield* client.tokenize(new TokenizationRequest({ prompt: sentence, tokens: true, tokenIds: true }), model)
  yield* Console.log(`${tokenized.tokenIds?.length} tokens: ${JSON.stringify(tokenized.tokens)}`)
  const detokenized = yield* client.detokenize(new DetokenizationRequest({ tokenIds: tokenized.tokenIds ?? [] }), model)
  yield* Console.log(`detokenized: ${detokenized.result}`)

  // offline, with the model's own tokenizer (a @huggingface/tokenizers Tokenizer)
  const tokenizer = yield* loadTokenizer(model)
  const encoded = tokenizer.encode(sentence)
  yield* Console.log(`offline: ${encoded.ids.length} tokens, ids ${encoded.ids.slice(0, 6).join(" ")} …`)
  yield* Console.log(`decoded offline: ${tokenizer.decode(encoded.ids)}`)
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
