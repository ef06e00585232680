// `npm run build`: tsc writes the declarations and the JavaScript to dist/, then esbuild bundles
// our own modules into one file per entry point (".", its Node build index.node.js, "./node",
// "./document", "./template", "./tokenizer", "./testing", "./testing/node", "./ai") plus the
// chunks they share, so that classes stay one class across entry points. Every package (effect, the
// platform, the lazily loaded liquidjs, mammoth, …) stays an import. Loading our ~55 modules one
// by one cost about 0.1 s of a cold import (benchmark issue: keep our share of it near zero).
// Source maps lead back to src/, which the package ships.
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as esbuild from "esbuild"

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), "..")
const dist = path.join(root, "dist")
const staging = path.join(root, "dist-bundle")

fs.rmSync(dist, { recursive: true, force: true })
fs.rmSync(staging, { recursive: true, force: true })
execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit"
})

await esbuild.build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(
    ["index", "index.node", "node/index", "document/index", "template/index", "tokenizer/index", "testing/index", "testing/node/index", "ai/index"]
      .map((entry) => [entry, `dist/${entry}.js`])
  ),
  outdir: staging,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "es2022",
  packages: "external",
  // class names show in inspection and messages; renaming on collision must not change them
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
  chunkNames: "chunks/[name]-[hash]",
  logLevel: "warning"
})

// the per-module JavaScript gives way to the bundle; the declarations stay
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
  entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]
)
for (const file of walk(dist)) if (/\.js(\.map)?$/.test(file)) fs.rmSync(file)
for (const file of walk(staging)) {
  const target = path.join(dist, path.relative(staging, file))
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.renameSync(file, target)
}
fs.rmSync(staging, { recursive: true, force: true })
