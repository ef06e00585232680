/**
 * Prompt templates: a Liquid template (loops, variables) rendered into a multimodal prompt,
 * with an image placed where the template says.
 *
 *   npx tsx examples/prompt-template.ts
 *
 * Runs on the embedded fake server; set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it
 * against the real API.
 */
import { Console, Effect, Layer } from "effect"
import { fileURLToPath } from "node:url"
import { Client, CompletionRequest, Image, Text } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { NodeFileSystem, UndiciHttpClient } from "../src/node/index.js"
import { PromptTemplate } from "../src/template/index.js"

const template = `{%- for example in examples -%}
Q: {{ example.question }}
A: {{ example.answer }}
{% endfor -%}
{{ picture }}
Q: What is in this picture?
A:`

const program = Effect.gen(function*() {
  const client = yield* Client
  const picture = yield* Image.fromFile(fileURLToPath(new URL("assets/apple.png", import.meta.url)))

  // make loads liquidjs and parses the template; a syntax error is a ValidationError
  const prompts = yield* PromptTemplate.make(template)
  // an Image or Tokens passed as a variable becomes a placeholder that toPrompt swaps back
  const prompt = yield* prompts.toPrompt({
    examples: [
      { question: "What colour is a ripe banana?", answer: "Yellow." },
      { question: "What grows on an apple tree?", answer: "Apples." }
    ],
    picture
  })
  for (const item of prompt.items) {
    yield* Console.log(item instanceof Text ? `text  ${JSON.stringify(item.text)}` : `${item.type} item`)
  }

  const response = yield* client.complete(new CompletionRequest({ prompt, maximumTokens: 8 }), "luminous-base")
  yield* Console.log(`completion:${response.completions[0]?.completion}`)
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(Layer.merge(AlephAlpha, NodeFileSystem.layerReadFile))))
