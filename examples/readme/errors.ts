// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Effect } from "effect"
import { Client, CompletionRequest, Prompt } from "../../src/index.js"

export const completion = Effect.gen(function*() {
  const client = yield* Client
  const response = yield* client.complete(
    new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 20 }),
    "pharia-1-llm-7b-control"
  )
  return response.completions[0]?.completion ?? ""
}).pipe(
  Effect.catchTags({
    BusyError: () => Effect.succeed("(the model is busy, try again later)"),
    NotFoundError: (error) => Effect.fail(new Error(`no such model: ${error.error}`))
  })
)
