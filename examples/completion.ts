/**
 * Completion: `complete` a prompt, ask for several completions with sampling and stop
 * sequences, and `evaluate` how likely the model finds an expected continuation.
 *
 *   npx tsx examples/completion.ts
 *
 * Runs on the embedded fake server (which answers by echoing the prompt's words); set
 * ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it against the real API.
 */
import { Console, Effect, Layer } from "effect"
import { Client, CompletionRequest, EvaluationRequest, Prompt } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const model = "pharia-1-llm-7b-control"

const program = Effect.gen(function*() {
  const client = yield* Client

  // the simplest call: a text prompt and a token budget
  const response = yield* client.complete(
    new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 16 }),
    model
  )
  yield* Console.log(`completion: ${response.completions[0]?.completion}`)
  yield* Console.log(`tokens: ${response.numTokensPromptTotal} in, ${response.numTokensGenerated} out`)

  // two sampled completions, each cut before a newline or a full stop
  const sampled = yield* client.complete(
    new CompletionRequest({
      prompt: Prompt.fromText("Apples, pears and plums are all fruit. Which one is red"),
      maximumTokens: 12,
      n: 2,
      temperature: 0.7,
      stopSequences: ["\n", "."]
    }),
    model
  )
  for (const result of sampled.completions) {
    yield* Console.log(`choice ${result.index}: ${result.completion} (${result.finishReason})`)
  }

  // how likely is an expected continuation?
  const evaluation = yield* client.evaluate(
    new EvaluationRequest({ prompt: Prompt.fromText("An apple a day"), completionExpected: " keeps the doctor away" }),
    model
  )
  yield* Console.log(`log probability of " keeps the doctor away": ${evaluation.result.logProbability}`)
})

// the embedded fake server unless a token is set
const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
