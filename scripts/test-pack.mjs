// `npm run test:pack`: the published tarball works in fresh projects. Packs the package (its
// `prepack` script builds it),
// installs the tarball (its dependencies from the registry) into a fresh ESM project and a
// fresh CommonJS project, and in each imports every entry point, starts the fake server on
// loopback ("./testing/node", with `Loopback.start()` for the Promise part), and makes a completion
// and a streamed chat through AsyncClient
// (its default transport, undici on Node) and through Client (over "./node"'s undici layer),
// builds the model's tokenizer ("./tokenizer") and renders a template ("./template"). Then
// typechecks a TypeScript consumer (scripts/packed-consumer.ts, every entry point) against the
// shipped declarations as strict applications compile them: `skipLibCheck: false`, `strict`,
// `exactOptionalPropertyTypes`, under NodeNext and under Bundler resolution. Also prints the
// tarball size and the install size.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { install, pack, root } from "./packed-project.mjs"

const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" })

const work = fs.mkdtempSync(path.join(os.tmpdir(), "aleph-alpha-pack-"))
const packed = pack(work)
console.log(`tarball: ${packed.filename}, ${(packed.size / 1024).toFixed(1)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${packed.entryCount} files`)

const peers = ["effect", "@effect/platform", "@effect/ai", "@effect/rpc", "@effect/experimental"]

const entries = {
  AA: "aleph-alpha-client",
  Node: "aleph-alpha-client/node",
  Doc: "aleph-alpha-client/document",
  Template: "aleph-alpha-client/template",
  Tok: "aleph-alpha-client/tokenizer",
  Testing: "aleph-alpha-client/testing",
  TestingNode: "aleph-alpha-client/testing/node",
  Ai: "aleph-alpha-client/ai"
}

const program = (kind) => {
  const load = Object.entries(entries).map(([name, entry]) =>
    kind === "esm" ? `import * as ${name} from "${entry}"` : `const ${name} = require("${entry}")`
  ).join("\n") + "\n" + (kind === "esm"
    ? `import { Effect, Stream } from "effect"`
    : `const { Effect, Stream } = require("effect")`)
  return `${load}
const { AsyncClient, ChatRequest, Client, CompletionRequest, Message, Prompt } = AA
const { Loopback } = TestingNode
if (typeof Ai.AlephAlphaLanguageModel.layer !== "function") throw new Error("./ai did not load")
if (typeof Doc.Document.fromText !== "function") throw new Error("./document did not load")
if (typeof Node.UndiciHttpClient.layer !== "function" || typeof Node.AsyncFileLoaders.imageFromFile !== "function") throw new Error("./node did not load")

const completion = new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 5 })
const chat = new ChatRequest({ model: "llama-3.1-8b-instruct", messages: [new Message({ role: "user", content: "hello there" })] })

const viaClient = Effect.gen(function* () {
  const client = yield* Client
  const done = yield* client.complete(completion, "luminous-base")
  let text = ""
  yield* Stream.runForEach(client.chatWithStreaming(chat), (event) =>
    Effect.sync(() => { if (event._tag === "ChatStreamChunk") text += event.content }))
  const tokenizer = yield* Tok.tokenizer("luminous-base")
  return [done.completions[0].completion, text, tokenizer.decode(tokenizer.encode("an apple").ids)]
})

const main = async () => {
  const [completed, streamed, decoded] = await Effect.runPromise(Effect.provide(viaClient, Loopback.layerClient()))
  if (!completed || !streamed || decoded !== "an apple") throw new Error("Client returned nothing")
  // the fake server for Promise code, with a fault aimed at the chat endpoint (retried past)
  const server = await Loopback.start()
  server.script(Testing.Fault.Status({ status: 503, retryAfter: "0", path: "chat/completions" }))
  const client = new AsyncClient({ token: "pack-test", host: server.url })
  const answer = await client.complete(completion, "luminous-base")
  let text = ""
  for await (const event of client.chatWithStreaming(chat)) if (event._tag === "ChatStreamChunk") text += event.content
  await client.close()
  const paths = server.requests().map((request) => request.path).join(" ")
  await server.close()
  if (!answer.completions[0].completion || !text) throw new Error("AsyncClient returned nothing")
  if (paths !== "/complete /chat/completions /chat/completions") throw new Error("Loopback.start: unexpected requests " + paths)
  const template = await Template.promptTemplate("Hello {{ name }}")
  const prompt = await Template.renderPromptTemplate(template, { name: "apple" })
  if (prompt.items[0].text !== "Hello apple") throw new Error("./template did not render")
  console.log("${kind}: ok")
}
main().catch((error) => { console.error(error); process.exit(1) })
`
}

for (const kind of ["esm", "cjs"]) {
  const dir = path.join(work, kind)
  install(dir, packed.tarball, peers, { name: `pack-test-${kind}`, type: kind === "esm" ? "module" : "commonjs" })
  const file = path.join(dir, kind === "esm" ? "main.mjs" : "main.cjs")
  fs.writeFileSync(file, program(kind))
  process.stdout.write(run(process.execPath, [file], dir))
  if (kind === "esm") {
    const size = run("du", ["-sk", path.join(dir, "node_modules")]).split("\t")[0]
    console.log(`install size (with effect, @effect/platform, @effect/ai and every dependency, without the optional mammoth): ${(Number(size) / 1024).toFixed(1)} MiB`)
  }
}
// the declarations as a strict application's compiler reads them: every .d.ts it reaches is
// checked, ours and those of the packages they import
const consumer = path.join(work, "types")
install(consumer, packed.tarball, [...peers, "typescript", "@types/node"], { name: "pack-test-types", type: "module" })
fs.copyFileSync(path.join(root, "scripts/packed-consumer.ts"), path.join(consumer, "main.ts"))
const strict = { target: "ES2022", lib: ["ES2022"], types: ["node"], strict: true, exactOptionalPropertyTypes: true, skipLibCheck: false, noEmit: true }
const resolutions = { NodeNext: { module: "NodeNext", moduleResolution: "NodeNext" }, Bundler: { module: "ESNext", moduleResolution: "Bundler" } }
let failed = 0
for (const [name, resolution] of Object.entries(resolutions)) {
  const config = `tsconfig.${name}.json`
  fs.writeFileSync(path.join(consumer, config), JSON.stringify({ compilerOptions: { ...strict, ...resolution }, files: ["main.ts"] }, null, 2))
  try {
    execFileSync(process.execPath, [path.join(consumer, "node_modules/typescript/bin/tsc"), "-p", config], { cwd: consumer, encoding: "utf8" })
    console.log(`types (${name}, skipLibCheck: false): ok`)
  } catch (error) {
    failed++
    console.error(`types (${name}, skipLibCheck: false) failed:\n${error.stdout}${error.stderr}`)
  }
}
// the package re-declares the Tokenizer it exposes (the library's own declarations do not
// compile under these settings); the class the tarball installs must still fit it
fs.writeFileSync(path.join(consumer, "fits.ts"), `import type { Tokenizer as Library } from "@huggingface/tokenizers"
import type { Tokenizer } from "aleph-alpha-client/tokenizer"
export const fits = (library: Library): Tokenizer => library
`)
fs.writeFileSync(path.join(consumer, "tsconfig.fits.json"), JSON.stringify({ compilerOptions: { ...strict, ...resolutions.Bundler, skipLibCheck: true }, files: ["fits.ts"] }, null, 2))
try {
  execFileSync(process.execPath, [path.join(consumer, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.fits.json"], { cwd: consumer, encoding: "utf8" })
  console.log("types (@huggingface/tokenizers' Tokenizer fits the Tokenizer type): ok")
} catch (error) {
  failed++
  console.error(`types (@huggingface/tokenizers' Tokenizer fits the Tokenizer type) failed:\n${error.stdout}${error.stderr}`)
}
fs.rmSync(work, { recursive: true, force: true })
console.log(`test:pack: ${5 - failed} passed, ${failed} failed`)
if (failed > 0) process.exit(1)
