/**
 * The newcomer's path stays true: every file in `examples/` runs against the embedded fake
 * server and exits 0, and every TypeScript block of README.md is a file in `examples/readme/`,
 * which `npm run typecheck` checks against the real API; the quickstarts among them run too,
 * against a fake server on 127.0.0.1 named by ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST.
 *
 * `demo.ts` runs as `npm run demo` runs it, through tsx. The other examples are bundled with
 * esbuild (the transformer tsx uses; packages stay external, so they load from node_modules as
 * they would for a user) and run with plain `node`: loading `effect` through tsx's module
 * hooks costs about two seconds per process, which this saves.
 */
import { build } from "esbuild"
import { spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { availableParallelism } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { Effect, Layer, ManagedRuntime } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { FakeServer } from "../src/testing/index.js"
import { Loopback } from "../src/testing/node/index.js"

const root = fileURLToPath(new URL("..", import.meta.url))
const examplesDir = join(root, "examples")
// inside the repository, so that the bundles' bare imports resolve to its node_modules; one
// directory per run, so that runs side by side do not delete each other's bundles
const cacheDir = join(root, "node_modules", ".cache")
let bundleDir = ""
const examples = readdirSync(examplesDir).filter((file) => file.endsWith(".ts")).sort()

/** What each example must print (besides exiting 0); others must print something. */
const expectedOutput: Readonly<Record<string, ReadonlyArray<string | RegExp>>> = {
  "demo.ts": [
    "started the embedded fake server in this process",
    "1. Completion",
    "2. Chat, streamed token by token",
    /1\.\s+0\.\d+\s+Apple trees flower/,
    /2000 embeddings of 128 floats/,
    "[apples]",
    "colour:    red",
    /Done in \d+\.\d s\./
  ],
  "completion.ts": [/completion: .*apple/, /choice 1: /, "log probability"],
  "streaming.ts": ["[finished: maximum_tokens]", "[finished: length]", "first five chunks", "folded:"],
  "chat-tools.ts": ["the model calls get_weather(", "final answer (stop)"],
  "images.ts": ["apple.png: 96×64 pixels", "prompt tokens: 147", "chat: "],
  "embeddings-search.ts": [/^\s+0\.\d+\s+Apple trees flower/m, "embed: layers layer_", "embeddings: 2 vectors"],
  "explanation.ts": [/0\.\d+\s+"apples"/],
  "tokenizer.ts": ["detokenized: An apple a day keeps the doctor away.", "decoded offline: An apple a day"],
  "translation.ts": ["translation: [de]"],
  "rerank.ts": [/^0\.\d+\s+The cider press/],
  "steering.ts": [/steering concept: [0-9a-f]{64}/, "steered chat:"],
  "prompt-template.ts": ["image item", "Q: What is in this picture?", "completion:"],
  "documents.ts": [": text, image, text", "summary:", "{\"text\":\"Apples are red.\"}"],
  "structured-output.ts": ["(serves 1, vegetarian: true)", "response format \"Recipe\""],
  "errors-and-retries.ts": [
    "ValidationError: Invalid CompletionRequest at maximumTokens",
    "succeeded after 3 attempts",
    "QuotaError after 1 attempt",
    "busy (QUEUE_FULL)",
    "overall deadline: TimeoutException"
  ],
  "testing-with-layers.ts": [/# pass 3/, /# fail 0/],
  "async-client.ts": ["completion:", "(stopped after four words)", "250 embeddings", "NotFoundError: UNKNOWN_MODEL", "AbortError"],
  "tool-loop.ts": ["[the model calls get_weather(", "[the model calls get_time(", "[get_weather returned: {\"temperature\":21", "[finished: stop]"],
  "rag-service.ts": ["indexed 2/4", "indexed 4/4", "[found: Apple trees flower in spring", "When do apple trees flower?", "[answered]"],
  "cli.ts": [/^Which apple is best for baking, and \[stopped\]$/m, "sweetness 1/10, for "]
}

// a few processes at a time: each is CPU-bound while it starts
const slots = { free: Math.max(2, availableParallelism()), waiting: [] as Array<() => void> }
const withSlot = async <A>(f: () => Promise<A>): Promise<A> => {
  if (slots.free > 0) slots.free--
  else await new Promise<void>((resolve) => slots.waiting.push(resolve))
  try {
    return await f()
  } finally {
    const next = slots.waiting.shift()
    if (next === undefined) slots.free++
    else next()
  }
}

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const runNode = (args: ReadonlyArray<string>, timeoutMs: number, extraEnv: Readonly<Record<string, string>> = {}): Promise<Run> =>
  new Promise((resolve, reject) => {
    // the fake server even when the developer has a token set
    const { ALEPH_ALPHA_HOST: _host, ALEPH_ALPHA_TOKEN: _token, ...env } = process.env
    const child = spawn(process.execPath, args, { cwd: root, env: { ...env, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (data: Buffer) => (stdout += data.toString()))
    child.stderr.on("data", (data: Buffer) => (stderr += data.toString()))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      stderr += `\n(killed after ${timeoutMs} ms)`
    }, timeoutMs)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

const bundles = new Map<string, Promise<string>>()

const bundle = (example: string): Promise<string> => {
  const source = join(examplesDir, example)
  const outfile = join(bundleDir, example.replace(/\.ts$/, ".mjs").replace("/", "-"))
  return build({
    entryPoints: [source],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    // the examples find their assets next to themselves
    define: { "import.meta.url": JSON.stringify(pathToFileURL(source).href) },
    logLevel: "silent"
  }).then(() => outfile)
}

beforeAll(() => {
  mkdirSync(cacheDir, { recursive: true })
  bundleDir = mkdtempSync(join(cacheDir, "aleph-alpha-client-examples-"))
  for (const example of examples) {
    if (example === "demo.ts") continue
    const built = bundle(example)
    built.catch(() => undefined) // reported by the example's own test
    bundles.set(example, built)
  }
})

afterAll(async () => {
  // builds of examples a filtered run skipped may still be writing
  await Promise.allSettled(bundles.values())
  if (bundleDir !== "") rmSync(bundleDir, { recursive: true, force: true })
})

describe("examples", () => {
  it("exist for every capability, export nothing, and are linked from the README", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    for (const example of Object.keys(expectedOutput)) expect(examples).toContain(example)
    for (const example of examples) {
      expect(readFileSync(join(examplesDir, example), "utf8"), `${example} exports something`).not.toMatch(
        /^export /m
      )
    }
    for (const [, link] of readme.matchAll(/\]\((examples\/[^)]+)\)/g)) {
      expect(readdirSync(join(root, dirname(link!))), `README links ${link}`).toContain(link!.split("/").pop())
    }
  })

  it.concurrent.each(examples)("%s runs on the fake server and exits 0", async (example) => {
    const args = example === "demo.ts" ? ["--import", "tsx", join(examplesDir, example)] : [await bundles.get(example)!]
    const { code, stderr, stdout } = await withSlot(() => runNode(args, 60_000))
    expect(code, `exit code of ${example}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`).toBe(0)
    for (const expected of expectedOutput[example] ?? [/\S/]) {
      if (typeof expected === "string") expect(stdout, example).toContain(expected)
      else expect(stdout, example).toMatch(expected)
    }
  }, 180_000)
})

// the README blocks that are whole programs, and what each must print
const readmePrograms: Readonly<Record<string, ReadonlyArray<string | RegExp>>> = {
  "quickstart-with-effect-1.ts": [/\S/],
  "quickstart-with-promises.ts": [/\S/],
  "tools.ts": ["(after 2 model calls)"]
}

describe("README.md programs", () => {
  const server = ManagedRuntime.make(Loopback.layer().pipe(Layer.provideMerge(FakeServer.layer())))
  afterAll(() => server.dispose())

  it.concurrent.each(Object.keys(readmePrograms))("%s runs against the fake server on 127.0.0.1 and exits 0", async (file) => {
    const { url } = await server.runPromise(Loopback.Loopback)
    const token = `readme-${file.replace(/\W/g, "-")}`
    const env = { ALEPH_ALPHA_TOKEN: token, ALEPH_ALPHA_HOST: `${url}/v1` }
    const built = await bundle(`readme/${file}`)
    const { code, stderr, stdout } = await withSlot(() => runNode([built], 60_000, env))
    expect(code, `exit code of ${file}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`).toBe(0)
    for (const expected of readmePrograms[file]!) {
      if (typeof expected === "string") expect(stdout, file).toContain(expected)
      else expect(stdout, file).toMatch(expected)
    }
    // it made its calls to the fake server, with the token from the environment
    const requests = await server.runPromise(Effect.flatMap(FakeServer.FakeServer, (fake) => fake.requests))
    expect(requests.filter((request) => request.headers.authorization === `Bearer ${token}`).length, file).toBeGreaterThan(0)
  }, 180_000)
})

// ---------------------------------------------------------------------------------------------
// README code blocks: each is kept as a file in examples/readme/ (imports pointed at src/), which
// `npm run typecheck` checks like every example; `npx vitest run -u test/Examples.test.ts`
// rewrites them after the README changed.

const readmeDir = join(examplesDir, "readme")
const generatedHeader = "// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).\n"

interface Block {
  /** `<section>.ts`, or `<section>-<n>.ts` for the n-th block of a section. */
  readonly file: string
  readonly line: number
  readonly code: string
}

const slug = (heading: string) => heading.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")

const typescriptBlocks = (markdown: string): ReadonlyArray<Block> => {
  const found: Array<{ section: string; line: number; code: string }> = []
  const lines = markdown.split("\n")
  let section = "readme"
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{2,3} (.*)$/.exec(lines[i]!)
    if (heading !== null) section = slug(heading[1]!)
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue
    const start = i + 1
    let end = start
    while (end < lines.length && !lines[end]!.startsWith("```")) end++
    found.push({ section, line: start + 1, code: lines.slice(start, end).join("\n") + "\n" })
    i = end
  }
  return found.map((block) => {
    const same = found.filter((other) => other.section === block.section)
    const n = same.indexOf(block) + 1
    return { file: same.length === 1 ? `${block.section}.ts` : `${block.section}-${n}.ts`, line: block.line, code: block.code }
  })
}

// the package's own name, as a user imports it, resolves to the sources here
const pointAtSources = (code: string) =>
  code
    .replace(/from "aleph-alpha-client\/([a-z/]+)"/g, "from \"../../src/$1/index.js\"")
    .replaceAll("from \"aleph-alpha-client\"", "from \"../../src/index.js\"")

describe("README.md", () => {
  it("has each TypeScript block as a typechecked file in examples/readme/", async () => {
    const blocks = typescriptBlocks(readFileSync(join(root, "README.md"), "utf8"))
    expect(blocks.length).toBeGreaterThanOrEqual(7)
    for (const block of blocks) {
      await expect(
        generatedHeader + pointAtSources(block.code),
        `README.md line ${block.line}`
      ).toMatchFileSnapshot(join(readmeDir, block.file))
    }
    const stale = (existsSync(readmeDir) ? readdirSync(readmeDir) : []).filter((file) => !blocks.some((block) => block.file === file))
    expect(stale, "files in examples/readme/ without a README block (delete them)").toEqual([])
  })
})
