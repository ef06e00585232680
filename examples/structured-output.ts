/**
 * Structured output: describe the answer with an Effect `Schema`; `chatStructured` asks the
 * model for JSON following it and returns the decoded, typed value.
 *
 *   npx tsx examples/structured-output.ts
 *
 * Runs on the embedded fake server (it answers a document sampled from the schema); set
 * ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it against the real API.
 */
import { Console, Effect, Layer, Schema } from "effect"
import { ChatRequest, Client, JSONSchema } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

class Recipe extends Schema.Class<Recipe>("Recipe")({
  name: Schema.String,
  servings: Schema.Int.pipe(Schema.between(1, 12)),
  ingredients: Schema.Array(Schema.Struct({ item: Schema.String, grams: Schema.Number })),
  vegetarian: Schema.Boolean
}) {}

const program = Effect.gen(function*() {
  const client = yield* Client
  const request = new ChatRequest({
    model: "llama-3.1-8b-instruct",
    messages: [{ role: "user", content: "A simple apple crumble recipe, please." }]
  })

  // a mismatching answer fails with StructuredOutputError, which keeps the raw content
  const recipe: Recipe = yield* client.chatStructured(request, Recipe).pipe(
    Effect.tapErrorTag("StructuredOutputError", (error) => Console.error(`the model said: ${error.content}`))
  )
  yield* Console.log(`${recipe.name} (serves ${recipe.servings}, vegetarian: ${recipe.vegetarian})`)
  for (const { grams, item } of recipe.ingredients) yield* Console.log(`  ${grams} g  ${item}`)

  // the JSON schema that was sent; pass it as responseFormat to chat for the raw JSON text
  const format = yield* JSONSchema.fromSchema(Recipe)
  yield* Console.log(`response format "${format.name}": ${JSON.stringify(format.schema).slice(0, 72)}…`)
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
