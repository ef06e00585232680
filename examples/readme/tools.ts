// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Effect, Layer, Schema } from "effect"
import { ChatRequest, ChatTool, Client, Message } from "../../src/index.js"
import { UndiciHttpClient } from "../../src/node/index.js"

const getWeather = ChatTool.make({
  name: "get_weather",
  description: "The current weather in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ celsius: Schema.Number }) // optional: the result is encoded with it
})

class UnknownCity extends Schema.TaggedError<UnknownCity>()("UnknownCity", { city: Schema.String }) {}

// fails with ToolLoopError | UnknownCity
const program = Effect.gen(function*() {
  const client = yield* Client
  const request = new ChatRequest({
    model: "llama-3.1-8b-instruct",
    messages: [new Message({ role: "user", content: "What is the weather in Paris?" })]
  })
  const { response, rounds } = yield* client.chatWithTools(request, {
    tools: [getWeather],
    // typed from the tool: `city` is a string, and the value must match the success schema
    handlers: { get_weather: ({ city }) => city === "" ? Effect.fail(new UnknownCity({ city })) : Effect.succeed({ celsius: 21 }) },
    maxRounds: 5
  })
  console.log(`${response.message.text} (after ${rounds} model calls)`)
})

Effect.runPromise(program.pipe(Effect.provide(Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer())))))
