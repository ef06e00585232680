/**
 * A command-line tool on the Promise API, in under 40 lines: it streams an answer (Ctrl-C
 * stops the answer, not the program), then asks for structured output and prints it typed.
 *
 *   npx tsx examples/cli.ts "Which apple is best for baking?"
 *
 * Without ALEPH_ALPHA_TOKEN it starts the embedded fake server on 127.0.0.1 and presses Ctrl-C
 * for you after a few words; with it (and ALEPH_ALPHA_HOST) it talks to the real API.
 */
import { Schema } from "effect"
import { AbortError, AsyncClient } from "../src/index.js"
import { Loopback } from "../src/testing/node/index.js"

const token = process.env.ALEPH_ALPHA_TOKEN
await using fake = token ? undefined : await Loopback.start()
const host = fake ? `${fake.url}/v1` : process.env.ALEPH_ALPHA_HOST

const question = process.argv.slice(2).join(" ") || "Which apple is best for baking, and why?"
const ask = (content: string) =>
  ({ model: "llama-3.1-8b-instruct", messages: [{ role: "user", content }], maximumTokens: 200 }) as const
const Apple = Schema.Struct({ name: Schema.String, sweetness: Schema.Int.pipe(Schema.between(1, 10)), uses: Schema.Array(Schema.String) })

await using client = new AsyncClient({ token: token ?? "fake", host })
// Ctrl-C aborts the stream: the loop throws an AbortError and the request is closed
const stop = new AbortController()
process.once("SIGINT", () => stop.abort())
let words = 0
try {
  for await (const event of client.chatWithStreaming(ask(question), { signal: stop.signal })) {
    if (event._tag === "ChatStreamChunk") process.stdout.write(event.content)
    // on the fake server: Ctrl-C pressed for you after eight words (then wait for it to arrive)
    if (fake && event._tag === "ChatStreamChunk" && ++words === 8) {
      process.kill(process.pid, "SIGINT")
      await new Promise((resolve) => stop.signal.addEventListener("abort", resolve))
    }
  }
} catch (error) {
  if (!(error instanceof AbortError)) throw error
  console.log(" [stopped]")
}
const apple = await client.chatStructured(ask(`Describe the apple in: ${question}`), Apple)
console.log(`${apple.name}: sweetness ${apple.sweetness}/10, for ${apple.uses.join(", ")}`)
