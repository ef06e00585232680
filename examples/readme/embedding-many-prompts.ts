// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Console, Effect } from "effect"
import { BatchSemanticEmbeddingRequest, Client, Prompt } from "../../src/index.js"

const request = new BatchSemanticEmbeddingRequest({
  prompts: ["apples", "pears", "plums"].map((text) => Prompt.fromText(text)),
  representation: "document"
})

export const embedAll = Effect.flatMap(Client, (client) =>
  client.batchSemanticEmbed(request, "luminous-base", {
    batchSize: 100,
    concurrency: 4,
    onProgress: ({ completed, total }) => Console.log(`${completed}/${total} prompts embedded`)
  }))
