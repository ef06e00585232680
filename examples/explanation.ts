/**
 * Explanation: which words of the prompt made the model produce a target continuation.
 *
 *   npx tsx examples/explanation.ts
 *
 * Runs on the embedded fake server (it scores words shared with the target highest); set
 * ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it against the real API.
 */
import { Console, Effect, Layer } from "effect"
import { Client, ExplanationRequest, Prompt, TextPromptItemExplanation } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const program = Effect.gen(function*() {
  const client = yield* Client
  const request = new ExplanationRequest({
    prompt: Prompt.fromText("The orchard grows apples and pears. Which fruit makes cider? Answer:"),
    target: " apples",
    promptGranularity: "word",
    postprocessing: "absolute"
  })
  const response = yield* client.explain(request, "luminous-base")

  // withTextFromPrompt adds the text each scored span covers
  const [explanation] = response.withTextFromPrompt(request).explanations
  const text = explanation?.items.find((item) => item instanceof TextPromptItemExplanation)
  if (text === undefined) return
  const top = [...text.scores].sort((a, b) => b.score - a.score).slice(0, 3)
  yield* Console.log(`what made the model say "${request.target.trim()}":`)
  for (const span of top) yield* Console.log(`  ${span.score.toFixed(3)}  "${span.text}" (characters ${span.start}–${span.start + span.length})`)
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
