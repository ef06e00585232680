// Cold import time, measured the same way by `npm run bench` (bench/run.ts) and `npm run size`
// (scripts/size.mjs): each specifier imported in a fresh Node process, the order rotated every
// round so that slow drifts of a shared machine hit every candidate alike.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Wall time, in ms, of importing `specifier` in a fresh process started in `cwd`. */
export const importTime = (specifier, cwd) =>
  Number(
    execFileSync(process.execPath, [
      "--input-type=module",
      "-e",
      `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t)`
    ], { cwd, encoding: "utf8" }).trim()
  )

/**
 * Imports each specifier in a fresh process, `rounds` times, the order rotated every round;
 * returns each one's samples in round order, so that ratios can be formed per round.
 */
export const coldImports = (specifiers, rounds, cwd) => {
  const samples = specifiers.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < specifiers.length; k++) {
      const i = (round + k) % specifiers.length
      samples[i].push(importTime(specifiers[i], cwd))
    }
  }
  return samples
}

/**
 * The effect and @effect/platform modules that a built entry file loads at import, statically
 * (following its relative imports into the shared chunks).
 */
export const effectModulesOf = (entry) => {
  const seen = new Set()
  const modules = new Set()
  const visit = (file) => {
    if (seen.has(file)) return
    seen.add(file)
    const source = fs.readFileSync(file, "utf8")
    for (const match of source.matchAll(/^(?:import|export)\s(?:[^;]*?from\s+)?"([^"]+)"/gm)) {
      const specifier = match[1]
      if (specifier.startsWith(".")) visit(path.resolve(path.dirname(file), specifier))
      else if (/^(effect|@effect\/platform)(\/|$)/.test(specifier)) modules.add(specifier)
    }
  }
  visit(entry)
  return [...modules].sort()
}
