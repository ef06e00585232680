// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Effect, Layer } from "effect"
import { Client, CompletionRequest, Prompt } from "../../src/index.js"
import { UndiciHttpClient } from "../../src/node/index.js"

const program = Effect.gen(function*() {
  const client = yield* Client
  const response = yield* client.complete(
    new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 20 }),
    "pharia-1-llm-7b-control"
  )
  return response.completions[0]?.completion
})

// The token comes from ALEPH_ALPHA_TOKEN and the base URL from ALEPH_ALPHA_HOST.
// Your application chooses the HTTP transport; undici is the fast one on Node.
const AlephAlpha = Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha))).then(console.log)
