// `npm run bench`: this client against the openai SDK and raw undici, against a lean API server
// in a separate process (bench/server.ts). Candidates alternate A B A B over several rounds
// after a time-based warm-up; the table gives medians and the median of per-round ratios
// (ratios are formed from neighbouring runs, so slow drifts of this noisy VM cancel out).
// Server and client are pinned to CPUs with taskset: the same CPU for concurrency 1 (cross-CPU
// wake-ups are slow and erratic here), different CPUs otherwise. Results: bench/RESULTS.md.
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { coldImports, effectModulesOf, median } from "../scripts/cold-import.mjs"
import { asyncClient, type Candidate, effectClient, openaiSdk, rawUndici } from "./candidates.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "..")
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const windowMs = Number(process.env.BENCH_WINDOW_MS ?? 1500)
const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 3000)
const quick = process.env.BENCH_QUICK === "1"
// `BENCH_ONLY=chat,stream,embed,cold` runs some sections (and writes no RESULTS.md)
const only = process.env.BENCH_ONLY?.split(",").map((section) => section.trim())
const runs = (section: "chat" | "stream" | "embed" | "cold") => only === undefined || only.includes(section)

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

const hasTaskset = (() => {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" })
    return os.cpus().length > 1
  } catch {
    return false
  }
})()
const pin = (pid: number, cpu: number) => {
  if (hasTaskset) execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" })
}

const startServer = () =>
  new Promise<{ url: string; pid: number; stop: () => void }>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "server.ts")], {
      stdio: ["pipe", "pipe", "inherit"]
    })
    child.stdout.once("data", (chunk: Buffer) =>
      resolve({ url: chunk.toString().trim(), pid: child.pid!, stop: () => child.stdin.end() }))
    child.once("error", reject)
  })

/** Repeats `run` until `ms` have passed; returns units per second. */
const rate = async (run: () => Promise<number>, ms: number) => {
  const start = performance.now()
  let units = 0
  while (performance.now() - start < ms) units += await run()
  return units / ((performance.now() - start) / 1000)
}

interface Row {
  readonly label: string
  readonly values: Record<string, number>
  readonly ratios: Record<string, number>
}

/** Alternates the candidates over the rounds, rotating the order; ratios of each against `base`, per round. */
const compare = async (
  label: string,
  candidates: ReadonlyArray<Candidate>,
  measure: (candidate: Candidate) => Promise<number>,
  base: string
): Promise<Row> => {
  for (const candidate of candidates) await measure(candidate) // warm-up run (plus the timed warm-up below)
  const samples = new Map<string, Array<number>>(candidates.map((c) => [c.name, []]))
  const ratios = new Map<string, Array<number>>(candidates.map((c) => [c.name, []]))
  for (let round = 0; round < rounds; round++) {
    const values = new Map<string, number>()
    // who goes first rotates, so that a place in the order favours no one
    for (let k = 0; k < candidates.length; k++) {
      const candidate = candidates[(round + k) % candidates.length]!
      values.set(candidate.name, await measure(candidate))
    }
    for (const candidate of candidates) {
      samples.get(candidate.name)!.push(values.get(candidate.name)!)
      ratios.get(candidate.name)!.push(values.get(candidate.name)! / values.get(base)!)
    }
  }
  const row: Row = {
    label,
    values: Object.fromEntries([...samples].map(([name, list]) => [name, median(list)])),
    ratios: Object.fromEntries([...ratios].map(([name, list]) => [name, median(list)]))
  }
  console.log(label, Object.entries(row.values).map(([name, v]) => `${name}: ${fmt(v)} (${fmt(row.ratios[name]!, 2)}× ${base})`).join(", "))
  return row
}

const warm = async (candidates: ReadonlyArray<Candidate>, run: (candidate: Candidate) => Promise<unknown>) => {
  for (const candidate of candidates) {
    const end = performance.now() + warmupMs
    while (performance.now() < end) await run(candidate)
  }
}

interface EmbedRun {
  readonly wallMs: number
  /** CPU time of the client's process over the same window. */
  readonly cpuMs: number
  readonly maxRssMiB: number
  readonly baseRssMiB: number
  readonly embeddings: number
}

const embedRun = (candidate: "client" | "raw", url: string) =>
  new Promise<EmbedRun>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "embed.ts"), candidate, url], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    if (hasTaskset) pin(child.pid!, 0)
    let out = ""
    child.stdout.on("data", (chunk) => out += chunk)
    child.on("exit", (code) => code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`embed ${candidate} exited ${code}`)))
  })


const main = async () => {
  const server = await startServer()
  const { url } = server
  const cpu = os.cpus()[0]?.model ?? "unknown CPU"
  const machine = `${os.cpus().length} cores (${cpu}), ${fmt(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`
  console.log(`machine: ${machine}; taskset: ${hasTaskset ? "yes" : "no"}`)
  console.log(`${rounds} rounds, ${windowMs} ms windows, ${warmupMs} ms warm-up per candidate\n`)

  const effect = await effectClient(url)
  // telemetry on: an application tracer installed, so every call runs in its span
  const traced = await effectClient(url, { traced: true })
  const promise = asyncClient(url)
  const openai = openaiSdk(url)
  const raw = rawUndici(url)
  const all = [effect, traced, promise, openai, raw]
  const rows: Array<Row> = []

  // 1. non-streaming chat
  if (runs("chat")) {
    for (const concurrency of [1, 32]) {
      pin(process.pid, 0)
      pin(server.pid, concurrency === 1 ? 0 : 1)
      const measure = (c: Candidate) => c.chatLoop!(concurrency, performance.now() + windowMs).then((n) => n / (windowMs / 1000))
      await warm(all, (c) => c.chatLoop!(concurrency, performance.now() + 200))
      rows.push(await compare(`chat, requests/s, C=${concurrency}`, all, measure, "raw undici"))
    }
  }

  // 2. chat streaming, 3. completion streaming (the openai SDK has no completion stream of this API)
  if (runs("stream")) {
    pin(process.pid, 0)
    pin(server.pid, 1)
    await warm(all, (c) => c.chatStream!())
    rows.push(await compare("chat stream, events/s", all, (c) => rate(c.chatStream!, windowMs), "raw undici"))
    const completionCandidates = all.filter((c) => c.completionStream !== undefined)
    await warm(completionCandidates, (c) => c.completionStream!())
    rows.push(
      await compare("completion stream, events/s", completionCandidates, (c) => rate(c.completionStream!, windowMs), "raw undici")
    )
  }
  await Promise.all(all.map((c) => c.close()))

  // 4. batch embedding, a fresh process per run for its peak RSS
  pin(server.pid, 1)
  const embed = { client: [] as Array<EmbedRun>, raw: [] as Array<EmbedRun> }
  const wallRatios: Array<number> = []
  const cpuRatios: Array<number> = []
  const rssRatios: Array<number> = []
  const aboveBaseRatios: Array<number> = []
  // a run's wall time swings by a quarter between fresh processes here: more rounds than the rest
  const embedRounds = !runs("embed") ? 0 : quick ? 1 : Math.max(rounds, 9)
  for (let round = 0; round < embedRounds; round++) {
    // who goes first alternates, so that an order effect cancels out
    const first = round % 2 === 0 ? "client" : "raw"
    const pair = { [first]: await embedRun(first, url) } as Record<"client" | "raw", EmbedRun>
    const second = first === "client" ? "raw" : "client"
    pair[second] = await embedRun(second, url)
    const { client: a, raw: b } = pair
    if (a.embeddings !== 10_000 || b.embeddings !== 10_000) throw new Error("an embedding run lost results")
    embed.client.push(a)
    embed.raw.push(b)
    wallRatios.push(a.wallMs / b.wallMs)
    cpuRatios.push(a.cpuMs / b.cpuMs)
    rssRatios.push(a.maxRssMiB / b.maxRssMiB)
    aboveBaseRatios.push((a.maxRssMiB - a.baseRssMiB) / (b.maxRssMiB - b.baseRssMiB))
  }
  if (embedRounds > 0) {
    console.log(
      `batch embedding: wall ${fmt(median(wallRatios), 2)}× raw, CPU ${fmt(median(cpuRatios), 2)}× raw, peak RSS ${fmt(median(rssRatios), 2)}× raw (${
        fmt(median(aboveBaseRatios), 2)
      }× above the code loaded)`
    )
  }
  server.stop()

  // 5. cold start (built JavaScript)
  let cold = { package: NaN, effect: NaN, openai: NaN, ratioEffect: NaN, ratioOpenai: NaN, modules: 0 }
  if (runs("cold")) {
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" })
    // the build Node loads ("node" export condition)
    const modules = effectModulesOf(path.join(root, "dist/index.node.js"))
    const entry = path.join(os.tmpdir(), `aleph-alpha-effect-modules-${process.pid}.mjs`)
    fs.writeFileSync(entry, modules.map((m) => `import ${JSON.stringify(import.meta.resolve(m))}`).join("\n") + "\n")
    const [packageTimes, effectTimes, openaiTimes] = coldImports([
      path.join(root, "dist/index.node.js"),
      entry,
      import.meta.resolve("openai")
    ], quick ? 3 : 10, root) as [Array<number>, Array<number>, Array<number>]
    fs.rmSync(entry)
    cold = {
      package: median(packageTimes),
      effect: median(effectTimes),
      openai: median(openaiTimes),
      ratioEffect: median(packageTimes.map((time, round) => time / effectTimes[round]!)),
      ratioOpenai: median(packageTimes.map((time, round) => time / openaiTimes[round]!)),
      modules: modules.length
    }
    console.log(
      `cold import: package ${fmt(cold.package)} ms, its ${modules.length} Effect modules alone ${fmt(cold.effect)} ms (${
        fmt(cold.ratioEffect, 2)
      }×), openai ${fmt(cold.openai)} ms (package ${fmt(cold.ratioOpenai, 2)}× openai)`
    )
  }

  const cell = (row: Row, name: string) => row.values[name] === undefined ? "" : fmt(row.values[name]!)
  const ratio = (row: Row, name: string) => row.ratios[name] === undefined ? "" : fmt(row.ratios[name]!, 2)
  const vsOpenai = (row: Row, name: string) =>
    row.values[name] === undefined || row.values["openai SDK"] === undefined
      ? ""
      : fmt(row.values[name]! / row.values["openai SDK"]!, 2)
  const table = [
    `# Benchmark results`,
    ``,
    `Run on ${new Date().toISOString().slice(0, 10)} with \`npm run bench\`: ${machine}. Server and client in separate`,
    `processes${hasTaskset ? ", pinned with taskset (same CPU at C=1, different CPUs otherwise)" : ""}; ${rounds} rounds of`,
    `${windowMs} ms windows after a ${warmupMs} ms warm-up per candidate, candidates alternating (the order rotating`,
    `every round); medians, and the median of the per-round ratios against raw undici (the limit: a`,
    `minimal undici loop with \`JSON.parse\`). "÷ openai" divides the medians.`,
    ``,
    `"Client, traced" is the same \`Client\` with an application tracer installed (telemetry on: a span`,
    `per call, with its attributes, and the trace context sent).`,
    ``,
    `| measurement | raw undici | Client (Effect) | Client, traced | AsyncClient | openai SDK | Client ÷ raw | Client, traced ÷ raw | AsyncClient ÷ raw | openai ÷ raw | Client ÷ openai | AsyncClient ÷ openai |`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|`,
    ...rows.map((row) =>
      `| ${row.label} | ${cell(row, "raw undici")} | ${cell(row, "Client (Effect)")} | ${cell(row, "Client, traced")} | ${
        cell(row, "AsyncClient")
      } | ${cell(row, "openai SDK")} | ${ratio(row, "Client (Effect)")} | ${ratio(row, "Client, traced")} | ${
        ratio(row, "AsyncClient")
      } | ${ratio(row, "openai SDK")} | ${vsOpenai(row, "Client (Effect)")} | ${vsOpenai(row, "AsyncClient")} |`
    ),
    ``,
    `| batch embedding (10,000 prompts, batches of 100, 8 at a time, 5 ms latency, 5120 floats; ${embedRounds} fresh processes each, alternating) | Client | raw undici loop | ratio |`,
    `|---|---|---|---|`,
    `| wall time, ms | ${fmt(median(embed.client.map((r) => r.wallMs)))} | ${fmt(median(embed.raw.map((r) => r.wallMs)))} | ${fmt(median(wallRatios), 2)} |`,
    `| CPU time of the process over that window, ms | ${fmt(median(embed.client.map((r) => r.cpuMs)))} | ${fmt(median(embed.raw.map((r) => r.cpuMs)))} | ${fmt(median(cpuRatios), 2)} |`,
    `| peak RSS, MiB | ${fmt(median(embed.client.map((r) => r.maxRssMiB)))} | ${fmt(median(embed.raw.map((r) => r.maxRssMiB)))} | ${fmt(median(rssRatios), 2)} |`,
    `| RSS before the run (code loaded), MiB | ${fmt(median(embed.client.map((r) => r.baseRssMiB)))} | ${fmt(median(embed.raw.map((r) => r.baseRssMiB)))} | |`,
    `| peak RSS above that, MiB | ${fmt(median(embed.client.map((r) => r.maxRssMiB - r.baseRssMiB)))} | ${fmt(median(embed.raw.map((r) => r.maxRssMiB - r.baseRssMiB)))} | ${fmt(median(aboveBaseRatios), 2)} |`,
    ``,
    `| cold import (median of ${quick ? 3 : 10} fresh processes each, alternating; built JavaScript) | ms |`,
    `|---|---|`,
    `| aleph-alpha-client | ${fmt(cold.package)} |`,
    `| the ${cold.modules} effect / @effect/platform modules it loads, alone | ${fmt(cold.effect)} |`,
    `| openai | ${fmt(cold.openai)} |`,
    `| aleph-alpha-client ÷ its effect modules (median of the per-round ratios) | ${fmt(cold.ratioEffect, 2)} |`,
    `| aleph-alpha-client ÷ openai (median of the per-round ratios) | ${fmt(cold.ratioOpenai, 2)} |`,
    ``
  ].join("\n")
  if (!quick && only === undefined) fs.writeFileSync(path.join(here, "RESULTS.md"), table)
  console.log(`\n${table}`)
  process.exit(0)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
