// The main entry as Node loads it (the "node" export condition): the same exports, with the
// `AsyncClient` whose default transport is undici (on Bun and Deno it still picks fetch) and
// the `AsyncLoaders` that fetch URLs with undici, through the environment's proxy.
export * from "./index.js"
export { AsyncClient } from "./promise/AsyncClientNode.js"
export * as AsyncLoaders from "./promise/LoadersNode.js"
