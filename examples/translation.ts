/**
 * Translation: `translate` takes its model in the request (there is no model argument).
 *
 *   npx tsx examples/translation.ts
 *
 * Runs on the embedded fake server (it prefixes each sentence with the target language); set
 * ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it against the real API.
 */
import { Console, Effect, Layer } from "effect"
import { Client, TranslationRequest } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const program = Effect.gen(function*() {
  const client = yield* Client
  const response = yield* client.translate(
    new TranslationRequest({
      model: "pharia-1-mt-translation",
      source: "An apple a day keeps the doctor away. Pears are fine too.",
      targetLanguage: "de"
    })
  )
  yield* Console.log(`translation: ${response.translation}`)
  yield* Console.log(`quality score: ${response.score.toFixed(2)}`)
  for (const segment of response.segments ?? []) {
    yield* Console.log(`  ${segment.source} → ${segment.translation}`)
  }
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
