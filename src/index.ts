export * from "./errors/AlephAlphaError.js"
export * from "./schema/SafeClass.js"
