/**
 * The tool loop: typed tools from Effect schemas, run by `chatWithToolsStreaming` until the
 * model answers. The answer streams token by token, and each tool result shows as it comes.
 *
 *   npx tsx examples/tool-loop.ts
 *
 * Runs on the embedded fake server (it calls every tool the user's message names, with
 * arguments sampled from the tools' schemas, then answers); set ALEPH_ALPHA_TOKEN and
 * ALEPH_ALPHA_HOST to run it against the real API.
 */
import { Console, Effect, Layer, Schema, Stream } from "effect"
import { ChatRequest, ChatTool, Client, Message } from "../src/index.js"
import { UndiciHttpClient } from "../src/node/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"

// the arguments are a Schema: the JSON Schema the model sees is derived from it, and the
// model's arguments are decoded with it before the handler runs
const getWeather = ChatTool.make({
  name: "get_weather",
  description: "The current weather in a city",
  parameters: Schema.Struct({ city: Schema.String, unit: Schema.Literal("celsius", "fahrenheit") }),
  success: Schema.Struct({ temperature: Schema.Number, sky: Schema.String })
})
const getTime = ChatTool.make({
  name: "get_time",
  description: "The local time in a city",
  parameters: Schema.Struct({ city: Schema.String })
})

const program = Effect.gen(function*() {
  const client = yield* Client
  const request = new ChatRequest({
    model: "llama-3.1-8b-instruct",
    messages: [new Message({ role: "user", content: "Paris: call get_weather and get_time, then tell me what to wear." })]
  })
  yield* client.chatWithToolsStreaming(request, {
    tools: [getWeather, getTime],
    // typed from the tools: `unit` is "celsius" | "fahrenheit", the weather result must match its schema
    handlers: {
      get_weather: ({ unit }) => Effect.succeed({ temperature: unit === "celsius" ? 21 : 70, sky: "sunny" }),
      get_time: () => Effect.sync(() => new Date().toTimeString().slice(0, 5))
    },
    maxRounds: 4
  }).pipe(
    Stream.runForEach((event) => {
      switch (event._tag) {
        case "ChatStreamChunk":
          return Effect.sync(() => void process.stdout.write(event.content))
        case "ToolCall":
          return Console.log(`[the model calls ${event.function.name}(${event.function.arguments})]`)
        case "ToolResult":
          return Console.log(`[${event.name} ${event.isFailure ? "failed" : "returned"}: ${event.content}]`)
        case "ChatFinish":
          return Console.log(`\n[finished: ${event.finishReason}]`)
        default:
          return Effect.void
      }
    })
  )
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(AlephAlpha)))
