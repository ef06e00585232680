// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Effect } from "effect"
import { type ApiError, type BusyError, Client, CompletionRequest, type NotFoundError, Prompt } from "../../src/index.js"

// complete fails with an ApiError; the two handlers leave the rest of it
type Unhandled = Exclude<ApiError, BusyError | NotFoundError>

export const completion: Effect.Effect<string, Unhandled, Client> = Effect.gen(function*() {
  const client = yield* Client
  const response = yield* client.complete(
    new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 20 }),
    "pharia-1-llm-7b-control"
  )
  return response.completions[0]?.completion ?? ""
}).pipe(
  Effect.catchTags({
    BusyError: () => Effect.succeed("(the model is busy, try again later)"),
    NotFoundError: (error) => Effect.succeed(`(no such model: ${error.error})`)
  })
)
