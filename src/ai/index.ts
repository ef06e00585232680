/**
 * `aleph-alpha-client/ai`: Aleph Alpha as an `@effect/ai` provider. Needs the optional peer
 * `@effect/ai` (0.37); the main entry never loads it.
 */
export * as AlephAlphaEmbeddingModel from "./AlephAlphaEmbeddingModel.js"
export * as AlephAlphaLanguageModel from "./AlephAlphaLanguageModel.js"
export { type ErrorSite, getAlephAlphaError, toAiError } from "./AiErrors.js"
