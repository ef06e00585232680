// The checks in a process (Node, Bun, Deno): prints their results as one JSON line and exits.
// No top-level await, so that the same file bundles into CommonJS.
import { runChecks } from "./checks.mjs"

const env = (name) => globalThis.process?.env?.[name] ?? globalThis.Deno?.env.get(name)
const exit = (code) => (globalThis.process ? globalThis.process.exit(code) : globalThis.Deno.exit(code))

runChecks(env("FAKE_SERVER_URL")).then((results) => {
  console.log(`RESULTS ${JSON.stringify(results)}`)
  exit(0)
})
