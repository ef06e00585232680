// One batch-embedding run in a fresh process, so its peak RSS is its own: 10,000 prompts in
// batches of 100, 8 requests at a time, through `Client.batchSemanticEmbed` or a raw undici loop
// doing the same batching. Prints `{ wallMs, cpuMs, maxRssMiB, baseRssMiB, embeddings }` as JSON.
import * as Undici from "undici"
import { Effect, Layer, ManagedRuntime, Redacted } from "effect"
import { BatchSemanticEmbeddingRequest, Client, Prompt } from "../src/index.js"
import { UndiciHttpClient } from "../src/node/index.js"

const [candidate, url] = process.argv.slice(2) as [string, string]
const total = 10_000
const batchSize = 100
const concurrency = 8
const texts = Array.from({ length: total }, (_, i) => `document number ${i} about apples`)

const viaClient = async () => {
  const runtime = ManagedRuntime.make(
    Client.layer({ token: Redacted.make("bench"), host: `${url}/v1` }).pipe(Layer.provide(UndiciHttpClient.layer({ proxy: false })))
  )
  const client = await runtime.runPromise(Client)
  const request = new BatchSemanticEmbeddingRequest({
    prompts: texts.map((text) => Prompt.fromText(text)),
    representation: "symmetric"
  })
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  const response = await runtime.runPromise(
    client.batchSemanticEmbed(request, "luminous-base", { batchSize, concurrency })
  )
  const wallMs = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  const cpuMs = (cpu.user + cpu.system) / 1000
  await runtime.dispose()
  return { wallMs, cpuMs, embeddings: response.embeddings.length, check: response.embeddings[total - 1]!.length }
}

const viaRaw = async () => {
  const agent = new Undici.Agent({ connections: 100 })
  const embeddings: Array<ReadonlyArray<number>> = new Array(total)
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  let next = 0
  const worker = async () => {
    while (next < total) {
      const offset = next
      next += batchSize
      const prompts = texts.slice(offset, offset + batchSize).map((text) => [{ type: "text", data: text, controls: [] }])
      const response = await agent.request({
        origin: url,
        path: "/v1/batch_semantic_embed",
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer bench" },
        body: JSON.stringify({ prompts, representation: "symmetric", normalize: false, control_log_additive: true, model: "luminous-base" })
      })
      const json = await response.body.json() as { embeddings: Array<ReadonlyArray<number>> }
      json.embeddings.forEach((vector, i) => embeddings[offset + i] = vector)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const wallMs = performance.now() - start
  const cpu = process.cpuUsage(cpuStart)
  const cpuMs = (cpu.user + cpu.system) / 1000
  await agent.close()
  return { wallMs, cpuMs, embeddings: embeddings.length, check: embeddings[total - 1]!.length }
}

// the resident set before the run: the code loaded (the client's modules, or undici alone) and the texts
const baseRssMiB = process.memoryUsage().rss / 2 ** 20
const result = await (candidate === "client" ? viaClient() : viaRaw())
console.log(JSON.stringify({ ...result, maxRssMiB: process.resourceUsage().maxRSS / 1024, baseRssMiB }))
