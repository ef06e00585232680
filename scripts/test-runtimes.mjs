// `npm run test:runtimes`: the published package in every runtime it claims. Packs the tarball
// (its `prepack` script builds it), installs it with its peers into a fresh project, starts the
// package's fake server (`aleph-alpha-client/testing/node`) on 127.0.0.1 in a Node process, and
// runs the same checks (scripts/runtimes/checks.mjs) in Node (ESM, and CommonJS through
// `require`), Bun and Deno (the binaries of the `bun` and `deno` dev dependencies), Cloudflare's
// workerd (through miniflare; a Worker bundled by esbuild for `worker,browser`, no
// `nodejs_compat`) and headless Chromium (Debian's `chromium`, installed when missing; a page
// from another origin, so every call is a CORS request). Prints `runtime: N passed, M failed`
// per runtime, then the total; exits 1 if anything failed.
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import * as readline from "node:readline"
import { install, pack, root } from "./packed-project.mjs"

const require = createRequire(import.meta.url)
const run = (command, args, options = {}) =>
  execFileSync(command, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", ...options })

const work = fs.mkdtempSync(path.join(os.tmpdir(), "aleph-alpha-runtimes-"))
// removed however the script ends, a failed install or build included
process.once("exit", () => fs.rmSync(work, { recursive: true, force: true }))
const project = path.join(work, "project")
const runtimeTimeout = 180_000

// ---------------------------------------------------------------------------------------------
// the project: the tarball and its peers, at the versions the package is tested with
// ---------------------------------------------------------------------------------------------

const packed = pack(work)
install(project, packed.tarball, ["effect", "@effect/platform"], { name: "runtimes-test", type: "module" })
for (const file of fs.readdirSync(path.join(root, "scripts/runtimes"))) {
  fs.copyFileSync(path.join(root, "scripts/runtimes", file), path.join(project, file))
}
console.log(`${packed.filename} installed in a fresh project`)

const esbuild = await import("esbuild")
const bundle = (entry, outfile, options) =>
  esbuild.build({
    entryPoints: [path.join(project, entry)],
    outfile: path.join(project, outfile),
    bundle: true,
    logLevel: "silent",
    ...options
  })

// ---------------------------------------------------------------------------------------------
// the fake server, from the installed package
// ---------------------------------------------------------------------------------------------

const startFakeServer = async () => {
  const child = spawn(process.execPath, ["fake-server.mjs"], { cwd: project, stdio: ["pipe", "pipe", "inherit"] })
  const lines = readline.createInterface({ input: child.stdout })
  const url = await new Promise((resolve, reject) => {
    lines.once("line", resolve)
    child.once("exit", (code) => reject(new Error(`the fake server exited (${code}) before listening`)))
  })
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve()
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000)
        child.once("exit", () => {
          clearTimeout(timer)
          resolve()
        })
        child.stdin.end()
      })
  }
}

// ---------------------------------------------------------------------------------------------
// the runtimes: each returns the checks' results and the version it ran
// ---------------------------------------------------------------------------------------------

/** Runs `command` in the project with the fake server's URL and reads the results line it prints. */
const runProcess = (command, args, env = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: project,
      env: { ...process.env, ...env, FAKE_SERVER_URL: fakeServer.url },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (data) => (stdout += data))
    child.stderr.on("data", (data) => (stderr += data))
    const timer = setTimeout(() => child.kill("SIGKILL"), runtimeTimeout)
    child.once("error", reject)
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split("\n").find((line) => line.startsWith("RESULTS "))
      if (line !== undefined) return resolve(JSON.parse(line.slice("RESULTS ".length)))
      reject(new Error(`exited with ${signal ?? code} before reporting\n${(stderr || stdout).trim().slice(-2000)}`))
    })
  })

/**
 * The binary of the `bun` or `deno` dev dependency, and its version: in the platform package,
 * or where the package's install script moved it (when npm ran it).
 */
const devBinary = (name, candidates) => {
  for (const candidate of candidates) {
    let file
    try {
      file = require.resolve(candidate)
    } catch {
      continue // not this platform's package
    }
    try {
      return { file, version: run(file, ["--version"]).trim() }
    } catch {
      // the placeholder an install script replaces
    }
  }
  throw new Error(`no ${name} binary for ${process.platform}-${process.arch} (npm ci installs it with the ${name} dev dependency)`)
}

const arch = process.arch === "arm64" ? "aarch64" : process.arch
const bunBinary = () =>
  devBinary("bun", [`@oven/bun-${process.platform}-${arch}/bin/bun`, `@oven/bun-${process.platform}-${arch}-baseline/bin/bun`, "bun/bin/bun.exe"])
const denoBinary = () =>
  devBinary("deno", [`@deno/${process.platform}-${process.arch}-glibc/deno`, `@deno/${process.platform}-${process.arch}/deno`, "deno/deno"])

const runtimes = [
  {
    name: "node-esm",
    run: async () => ({ version: process.version, results: await runProcess(process.execPath, ["entry-process.mjs"]) })
  },
  {
    name: "node-cjs",
    run: async () => {
      // the checks as CommonJS that `require`s the package
      await bundle("entry-process.mjs", "entry-process.cjs", { format: "cjs", platform: "node", packages: "external" })
      return { version: process.version, results: await runProcess(process.execPath, ["entry-process.cjs"]) }
    }
  },
  {
    name: "bun",
    run: async () => {
      const bun = bunBinary()
      return { version: bun.version, results: await runProcess(bun.file, ["entry-process.mjs"]) }
    }
  },
  {
    name: "deno",
    run: async () => {
      const deno = denoBinary()
      const env = { DENO_DIR: path.join(work, "deno"), DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" }
      return {
        version: deno.version.replace(/^deno (\S+)[^]*$/, "$1"),
        results: await runProcess(deno.file, ["run", "-A", "entry-process.mjs"], env)
      }
    }
  },
  {
    name: "workerd",
    run: async () => {
      await bundle("entry-worker.mjs", "worker.js", { format: "esm", platform: "browser", conditions: ["worker", "browser"] })
      const { Miniflare } = await import("miniflare")
      // no compatibility flags: no nodejs_compat
      const miniflare = new Miniflare({
        modules: true,
        scriptPath: path.join(project, "worker.js"),
        modulesRoot: project,
        compatibilityDate: "2026-04-01",
        bindings: { FAKE_SERVER_URL: fakeServer.url }
      })
      try {
        const response = await miniflare.dispatchFetch("http://worker.test/")
        if (!response.ok) throw new Error(`the Worker answered ${response.status}: ${(await response.text()).slice(0, 2000)}`)
        return { version: require("workerd/package.json").version, results: await response.json() }
      } finally {
        await miniflare.dispose()
      }
    }
  },
  {
    name: "chromium",
    run: async () => {
      const executablePath = ensureChromium()
      await bundle("entry-browser.mjs", "page.js", { format: "esm", platform: "browser" })
      const page = await servePage()
      const { chromium } = await import("playwright-core")
      const context = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(work, "chromium-")), {
        executablePath,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync"
        ]
      })
      try {
        const tab = context.pages()[0] ?? (await context.newPage())
        const errors = []
        tab.on("pageerror", (error) => errors.push(error.message))
        await tab.goto(`${page.url}/?host=${encodeURIComponent(fakeServer.url)}`)
        await tab.waitForFunction(() => window.runtimeResults !== undefined, null, { timeout: runtimeTimeout })
          .catch((error) => {
            throw new Error(`${error.message}\n${errors.join("\n")}`)
          })
        return {
          version: run(executablePath, ["--version"]).trim().replace(/^Chromium /, "").replace(/ .*/, ""),
          results: await tab.evaluate(() => window.runtimeResults)
        }
      } finally {
        await context.close()
        await page.close()
      }
    }
  }
]

/** Debian's chromium: installed with apt-get when missing (CI runs as root). */
const ensureChromium = () => {
  const executablePath = "/usr/bin/chromium"
  if (fs.existsSync(executablePath)) return executablePath
  if (process.getuid?.() !== 0) {
    throw new Error(`${executablePath} is missing: install Debian's chromium package (apt-get install chromium) as root`)
  }
  console.log("installing chromium (apt-get) …")
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  run("apt-get", ["update", "-qq"], { env })
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], { env })
  return executablePath
}

/** Serves the page on its own origin (another port than the fake server's). */
const servePage = () =>
  new Promise((resolve) => {
    const script = fs.readFileSync(path.join(project, "page.js"))
    const server = http.createServer((request, response) => {
      if (request.url === "/page.js") {
        response.writeHead(200, { "content-type": "text/javascript" }).end(script)
      } else {
        response.writeHead(200, { "content-type": "text/html" })
          .end(`<!doctype html><title>aleph-alpha-client</title><script type="module" src="/page.js"></script>`)
      }
    })
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((done) => server.close(done))
      }))
  })

// ---------------------------------------------------------------------------------------------
// run them all
// ---------------------------------------------------------------------------------------------

const fakeServer = await startFakeServer()
let passed = 0
let failed = 0
try {
  for (const runtime of runtimes) {
    let outcome
    try {
      outcome = await runtime.run()
    } catch (error) {
      outcome = { version: "?", results: [{ name: "run", ok: false, error: error instanceof Error ? error.message : String(error) }] }
    }
    const good = outcome.results.filter((result) => result.ok).length
    const bad = outcome.results.length - good
    passed += good
    failed += bad
    console.log(`${runtime.name} ${outcome.version}`)
    for (const result of outcome.results.filter((result) => !result.ok)) {
      // a check's first line; the first lines of a runtime that did not run (a build's errors)
      const lines = String(result.error ?? "").split("\n").slice(0, result.name === "run" ? 6 : 1)
      console.log(`  failed: ${result.name}: ${lines.map((line) => line.slice(0, 300)).join("\n    ")}`)
    }
    console.log(`${runtime.name}: ${good} passed, ${bad} failed`)
  }
} finally {
  await fakeServer.stop()
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed === 0 ? 0 : 1)
