// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { LanguageModel } from "@effect/ai"
import { Effect, Layer } from "effect"
import { Client } from "../../src/index.js"
import { AlephAlphaLanguageModel } from "../../src/ai/index.js"
import { UndiciHttpClient } from "../../src/node/index.js"

const program = LanguageModel.generateText({ prompt: "Tell me something about apples." })

const AlephAlpha = AlephAlphaLanguageModel.model("llama-3.1-8b-instruct").pipe(
  Layer.provide(Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer())))
)

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha))).then((response) => console.log(response.text))
