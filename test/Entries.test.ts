import * as esbuild from "esbuild"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { heavyPackages, nodeOnly, packageOf } from "../scripts/bundle-rules.mjs"

const root = path.resolve(import.meta.dirname, "..")

/** The files esbuild puts into a browser bundle of `contents` (no code splitting: every import() inlined). */
const inputsOf = async (contents: string) => {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    metafile: true,
    logLevel: "silent"
  })
  return Object.keys(result.metafile.inputs)
}

describe("entry points", () => {
  it.each(["src/index.ts", "src/ai/index.ts", "src/testing/index.ts", "src/template/index.ts", "src/tokenizer/index.ts"])(
    "%s bundles for the browser without any Node-only module, statically or dynamically imported",
    async (entry) => {
      const inputs = await inputsOf(`export * from "./${entry}"`)
      expect(inputs.filter((input) => nodeOnly.test(input))).toEqual([])
    },
    30_000
  )

  it("a chat-only program reaches none of mammoth, liquidjs, @huggingface/tokenizers or image-size", async () => {
    const inputs = await inputsOf(`
      import { AsyncClient, ChatRequest, Client, Message } from "./src/index.ts"
      const request = new ChatRequest({ model: "m", messages: [new Message({ role: "user", content: "Hi" })] })
      export const viaEffect = Client.pipe((client) => client)
      export const viaPromise = (client: AsyncClient) => [client.chat(request), client.chatWithStreaming(request)]
    `)
    expect(inputs.filter((input) => heavyPackages.includes(packageOf(input) ?? ""))).toEqual([])
    expect(inputs.some((input) => input.endsWith("src/services/ChatCompletions.ts"))).toBe(true)
  }, 30_000)
})
