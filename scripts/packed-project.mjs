// What the package-level scripts (test:pack, test:runtimes, size) test: the packed tarball,
// installed into a fresh project as a new user would install it.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

export const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "..")
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"))
const npm = process.platform === "win32" ? "npm.cmd" : "npm"
const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" })

/** `name@version` at the version the package is tested with: its dev dependency, which is exact. */
export const tested = (name) => `${name}@${pkg.devDependencies[name]}`

/** Packs the package into `work` (its `prepack` script builds it): npm's description of the tarball, and its path. */
export const pack = (work) => {
  const [packed] = JSON.parse(run(npm, ["pack", "--json", "--pack-destination", work], root))
  return { ...packed, tarball: path.join(work, packed.filename) }
}

/** Makes the project `dir` (its package.json from `manifest`) and installs the tarball and `peers` (names) into it. */
export const install = (dir, tarball, peers, manifest) => {
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ private: true, ...manifest }, null, 2))
  run(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball, ...peers.map(tested)], dir)
}
