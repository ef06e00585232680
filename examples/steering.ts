/**
 * Steering (beta): create a steering concept from paired examples, then pass its id to a
 * completion or chat request to steer the style of the answer.
 *
 *   npx tsx examples/steering.ts
 *
 * Runs on the embedded fake server (the id is hashed from the examples; the text is not
 * steered); set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it against the real API.
 */
import { Console, Effect, Layer } from "effect"
import {
  ChatRequest,
  Client,
  CompletionRequest,
  Message,
  Prompt,
  SteeringConceptCreationRequest,
  SteeringPairedExample
} from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const program = Effect.gen(function*() {
  const client = yield* Client

  // the same content in the style to avoid (negative) and the style to steer to (positive)
  const concept = yield* client.createSteeringConcept(
    new SteeringConceptCreationRequest({
      examples: [
        new SteeringPairedExample({ negative: "I am going to the shop.", positive: "I be off to the shop, arr!" }),
        new SteeringPairedExample({ negative: "Hello, how are you?", positive: "Ahoy, matey, how fare ye?" })
      ]
    })
  )
  yield* Console.log(`steering concept: ${concept.id}`)

  const completion = yield* client.complete(
    new CompletionRequest({ prompt: Prompt.fromText("Tell me about apples."), maximumTokens: 12, steeringConcepts: [concept.id] }),
    "pharia-1-llm-7b-control"
  )
  yield* Console.log(`steered completion:${completion.completions[0]?.completion}`)

  const chat = yield* client.chat(
    new ChatRequest({
      model: "llama-3.1-8b-instruct",
      messages: [new Message({ role: "user", content: "Tell me about apples." })],
      maximumTokens: 12,
      steeringConcepts: [concept.id]
    })
  )
  yield* Console.log(`steered chat: ${chat.message.content}`)
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
