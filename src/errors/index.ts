export * from "./AlephAlphaError.js"
