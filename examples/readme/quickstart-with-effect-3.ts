// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Effect } from "effect"
import { Client } from "../../src/index.js"

export const program = Effect.gen(function*() {
  const client = yield* Client
  const answer = yield* client.chat({
    messages: [
      { role: "user", content: "What is the weather in Paris?" },
      { role: "assistant", content: null, tool_calls: [{ id: "call-1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } }] },
      { role: "tool", content: "sunny, 21 °C", tool_call_id: "call-1" }
    ],
    tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }]
  }, "llama-3.1-8b-instruct")
  const completion = yield* client.complete({ prompt: "An apple a day", maximumTokens: 20 }, "luminous-base")
  return [answer.message.content, completion.completions[0]?.completion]
})
