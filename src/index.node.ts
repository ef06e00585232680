// The main entry as Node loads it (the "node" export condition): the same exports, with the
// `AsyncClient` whose default transport is undici (on Bun and Deno it still picks fetch).
export * from "./index.js"
export { AsyncClient } from "./promise/AsyncClientNode.js"
