// What may not get into a bundle for browsers and workers, shared by `npm run size` (on the
// packed package) and test/Entries.test.ts (on the sources), so the two check the same rule.

/** An esbuild metafile input that only Node can load. */
// (metafile inputs are relative: a top-level package is "node_modules/…", without a leading "/")
export const nodeOnly = /^(node:|undici\/|@effect\/platform-node)|(?:^|\/)node_modules\/(undici|@effect\/platform-node[^/]*)\//

/** The heavy optional packages a chat-only program must not bundle. */
export const heavyPackages = ["mammoth", "liquidjs", "@huggingface/tokenizers", "image-size"]

/** The package an esbuild metafile input belongs to (the innermost node_modules folder), if any. */
export const packageOf = (input) => {
  const matches = [...input.matchAll(/(?<=^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//g)]
  return matches.length === 0 ? undefined : matches[matches.length - 1][1]
}
