import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { pathToFileURL } from "node:url"

const root = resolve(import.meta.dirname, "../..")

// A module resolution hook that writes every URL the process loads to a file.
const hooks = `
import { appendFileSync } from "node:fs"
let log
export function initialize(data) { log = data.log }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(log, result.url + "\\n")
  return result
}
`

/** The URLs of every module loaded by importing `entry` (a path under the repository) in a fresh Node. */
const modulesLoadedBy = (entry: string): Promise<ReadonlyArray<string>> => {
  const dir = mkdtempSync(join(tmpdir(), "aleph-alpha-entry-"))
  const log = join(dir, "modules.log")
  writeFileSync(log, "")
  writeFileSync(join(dir, "hooks.mjs"), hooks)
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module"\n` +
      `register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)}, { data: { log: ${JSON.stringify(log)} } })\n`
  )
  const target = pathToFileURL(join(root, entry)).href
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [
        "--import",
        "tsx",
        "--import",
        pathToFileURL(join(dir, "register.mjs")).href,
        "--input-type=module",
        "-e",
        `await import(${JSON.stringify(target)})`
      ],
      { cwd: root, timeout: 60_000 },
      (error, _stdout, stderr) => {
        try {
          if (error !== null) return fail(new Error(`importing ${entry} failed: ${stderr}`))
          done(readFileSync(log, "utf8").split("\n").filter((line) => line !== ""))
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      }
    )
  })
}

const isEffectAi = (url: string) => /\/node_modules\/@effect\/(ai|rpc|experimental)\//.test(url)

describe("the ./ai entry", () => {
  it("importing the main entry does not load @effect/ai", async () => {
    const loaded = await modulesLoadedBy("src/index.ts")
    // the hook saw the package load: the client and Effect itself
    expect(loaded.some((url) => url.endsWith("/src/services/Client.ts"))).toBe(true)
    expect(loaded.some((url) => url.includes("/node_modules/effect/"))).toBe(true)
    expect(loaded.filter(isEffectAi)).toEqual([])
    expect(loaded.filter((url) => url.includes("/src/ai/"))).toEqual([])
  })

  it("importing aleph-alpha-client/ai does load it (the check above can see it)", async () => {
    const loaded = await modulesLoadedBy("src/ai/index.ts")
    expect(loaded.some((url) => url.includes("/node_modules/@effect/ai/"))).toBe(true)
  })

  it("package.json exports ./ai and declares @effect/ai an optional peer", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, unknown>
      peerDependencies: Record<string, string>
      peerDependenciesMeta: Record<string, { optional?: boolean }>
    }
    expect(pkg.exports["./ai"]).toEqual({ types: "./dist/ai/index.d.ts", default: "./dist/ai/index.js" })
    expect(pkg.peerDependencies["@effect/ai"]).toBe("^0.37.0")
    expect(pkg.peerDependenciesMeta["@effect/ai"]).toEqual({ optional: true })
  })
})
