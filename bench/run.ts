// `npm run bench`: requests/s of non-streaming chat through `Client` (Effect over undici) and
// through raw `undici.request` (the ceiling), against the fake server in a separate process.
// Candidates alternate A B A B over several rounds after a warm-up; the table reports the
// median requests/s of each and the median of the per-round ratios.
import { Layer, ManagedRuntime } from "effect"
import Undici from "@effect/platform-node/Undici"
import { spawn } from "node:child_process"
import * as os from "node:os"
import { AlephAlphaHttp, ChatRequest, Client, Message } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"

const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const windowMs = Number(process.env.BENCH_WINDOW_MS ?? 1500)
const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 3000)

const startServer = () =>
  new Promise<{ url: string; stop: () => void }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", new URL("./server.ts", import.meta.url).pathname], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    child.stdout.once("data", (chunk: Buffer) => resolve({ url: chunk.toString().trim(), stop: () => child.stdin.end() }))
    child.once("error", reject)
  })

const body = {
  model: "llama-3.1-8b-instruct",
  messages: [{ role: "user", content: "one two three four five six seven eight" }],
  max_tokens: 16
}

/** Runs `call` with `concurrency` workers for `ms` and returns completed calls per second. */
const measure = async (call: () => Promise<unknown>, concurrency: number, ms: number) => {
  const end = performance.now() + ms
  let done = 0
  const worker = async () => {
    while (performance.now() < end) {
      await call()
      done++
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return done / ((performance.now() - start) / 1000)
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const main = async () => {
  const server = await startServer()
  const agent = new Undici.Agent({ connections: 100 })
  const raw = async () => {
    const response = await agent.request({
      origin: server.url,
      path: "/v1/chat/completions",
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer bench` },
      body: JSON.stringify(body)
    })
    await response.body.json()
  }

  const layer = Client.layer({ token: AlephAlphaTest.token, host: `${server.url}/v1` }).pipe(
    Layer.provide(AlephAlphaHttp.layerUndici({ connectionLimit: 100 }))
  )
  const runtime = ManagedRuntime.make(layer)
  const request = new ChatRequest({
    messages: [new Message({ role: "user", content: body.messages[0]!.content })],
    maximumTokens: body.max_tokens
  })
  const client = await runtime.runPromise(Client)
  const viaClient = () => runtime.runPromise(client.chat(request, body.model))

  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}`)
  console.log(`warm-up ${warmupMs} ms, ${rounds} rounds of ${windowMs} ms windows, A/B alternating\n`)
  await measure(viaClient, 8, warmupMs / 2)
  await measure(raw, 8, warmupMs / 2)

  console.log("| concurrency | Client req/s | raw undici req/s | Client / raw (median of rounds) |")
  console.log("|---|---|---|---|")
  for (const concurrency of [1, 32]) {
    const a: Array<number> = []
    const b: Array<number> = []
    const ratios: Array<number> = []
    for (let round = 0; round < rounds; round++) {
      const x = await measure(viaClient, concurrency, windowMs)
      const y = await measure(raw, concurrency, windowMs)
      a.push(x)
      b.push(y)
      ratios.push(x / y)
    }
    console.log(`| ${concurrency} | ${median(a).toFixed(0)} | ${median(b).toFixed(0)} | ${median(ratios).toFixed(2)} |`)
  }
  await agent.close()
  await runtime.dispose()
  server.stop()
  process.exit(0)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
