// `npm run test:pack`: the published tarball works in fresh projects. Packs the package (its
// `prepack` script builds it),
// installs the tarball (its dependencies from the registry) into a fresh ESM project and a
// fresh CommonJS project, and in each imports ".", "./testing" and "./ai", starts the fake
// server on loopback, and makes a completion and a streamed chat through AsyncClient and
// through Client. Also prints the tarball size and the install size.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "..")
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" })
const npm = process.platform === "win32" ? "npm.cmd" : "npm"

const work = fs.mkdtempSync(path.join(os.tmpdir(), "aleph-alpha-pack-"))
const [packed] = JSON.parse(run(npm, ["pack", "--json", "--pack-destination", work], root))
const tarball = path.join(work, packed.filename)
console.log(`tarball: ${packed.filename}, ${(packed.size / 1024).toFixed(1)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${packed.entryCount} files`)

// the versions the package is tested with: the dev dependencies, which are exact
const peers = ["effect", "@effect/platform", "@effect/ai", "@effect/rpc", "@effect/experimental"]
  .map((name) => `${name}@${pkg.devDependencies[name]}`)

const program = (kind) => {
  const load = kind === "esm"
    ? `import * as AA from "aleph-alpha-client"
import * as Testing from "aleph-alpha-client/testing"
import * as Ai from "aleph-alpha-client/ai"
import { Effect, Layer, ManagedRuntime, Stream } from "effect"`
    : `const AA = require("aleph-alpha-client")
const Testing = require("aleph-alpha-client/testing")
const Ai = require("aleph-alpha-client/ai")
const { Effect, Layer, ManagedRuntime, Stream } = require("effect")`
  return `${load}
const { AsyncClient, ChatRequest, Client, CompletionRequest, Message, Prompt } = AA
const { AlephAlphaTest, FakeServer, Loopback } = Testing
if (typeof Ai.AlephAlphaLanguageModel.layer !== "function") throw new Error("./ai did not load")

const completion = new CompletionRequest({ prompt: Prompt.fromText("An apple a day"), maximumTokens: 5 })
const chat = new ChatRequest({ model: "llama-3.1-8b-instruct", messages: [new Message({ role: "user", content: "hello there" })] })

const viaClient = Effect.gen(function* () {
  const client = yield* Client
  const done = yield* client.complete(completion, "luminous-base")
  let text = ""
  yield* Stream.runForEach(client.chatWithStreaming(chat), (event) =>
    Effect.sync(() => { if (event._tag === "ChatStreamChunk") text += event.content }))
  return [done.completions[0].completion, text]
})

const main = async () => {
  const [completed, streamed] = await Effect.runPromise(Effect.provide(viaClient, AlephAlphaTest.layerLoopback()))
  if (!completed || !streamed) throw new Error("Client returned nothing")
  const runtime = ManagedRuntime.make(Loopback.layer().pipe(Layer.provideMerge(FakeServer.layer())))
  const { url: host } = await runtime.runPromise(Loopback.Loopback)
  const client = new AsyncClient({ token: "pack-test", host })
  const answer = await client.complete(completion, "luminous-base")
  let text = ""
  for await (const event of client.chatWithStreaming(chat)) if (event._tag === "ChatStreamChunk") text += event.content
  await client.close()
  await runtime.dispose()
  if (!answer.completions[0].completion || !text) throw new Error("AsyncClient returned nothing")
  console.log("${kind}: ok")
}
main().catch((error) => { console.error(error); process.exit(1) })
`
}

for (const kind of ["esm", "cjs"]) {
  const dir = path.join(work, kind)
  fs.mkdirSync(dir)
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: `pack-test-${kind}`, private: true, type: kind === "esm" ? "module" : "commonjs" }, null, 2)
  )
  run(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball, ...peers], dir)
  const file = path.join(dir, kind === "esm" ? "main.mjs" : "main.cjs")
  fs.writeFileSync(file, program(kind))
  process.stdout.write(run(process.execPath, [file], dir))
  if (kind === "esm") {
    const size = run("du", ["-sk", path.join(dir, "node_modules")]).split("\t")[0]
    console.log(`install size (with effect, @effect/platform, @effect/ai and every dependency): ${(Number(size) / 1024).toFixed(1)} MiB`)
  }
}
fs.rmSync(work, { recursive: true, force: true })
console.log("test:pack: 2 passed, 0 failed")
