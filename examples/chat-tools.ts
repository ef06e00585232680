/**
 * Chat with tools: offer a function, let the model call it, run it, hand the result back and
 * get the final answer.
 *
 *   npx tsx examples/chat-tools.ts
 *
 * Runs on the embedded fake server (it calls a tool whenever the user spoke last, with
 * arguments sampled from the tool's schema); set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to
 * run it against the real API.
 */
import { Console, Effect, Layer } from "effect"
import { Client, type Message } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const model = "llama-3.1-8b-instruct"

// plain objects work wherever a request holds a class (Tool.fn and new Message build the same)
const getWeather = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The current weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
      required: ["city", "unit"]
    }
  }
} as const

// the function behind the tool
const weatherIn = (args: { readonly city: string; readonly unit: string }) =>
  ({ city: args.city, temperature: args.unit === "celsius" ? 21 : 70, sky: "sunny" })

const program = Effect.gen(function*() {
  const client = yield* Client
  const messages: Array<Message.Input> = [{ role: "user", content: "What is the weather in Paris?" }]

  const first = yield* client.chat({ model, messages, tools: [getWeather], toolChoice: "auto" })
  const choice = first.choices[0]
  if (choice === undefined || choice.toolCalls.length === 0) {
    return yield* Console.log(`no tool call, the model said: ${first.message.content}`)
  }

  // the assistant's turn (with its tool calls) goes into the history, then one answer per call
  messages.push(choice.message)
  for (const call of choice.toolCalls) {
    yield* Console.log(`the model calls ${call.function.name}(${call.function.arguments})`)
    const result = weatherIn(JSON.parse(call.function.arguments))
    messages.push({ role: "tool", toolCallId: call.id, content: JSON.stringify(result) })
  }

  const answer = yield* client.chat({ model, messages, tools: [getWeather] })
  yield* Console.log(`final answer (${answer.finishReason}): ${answer.message.content}`)
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
