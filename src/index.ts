export * from "./errors/AlephAlphaError.js"
export * from "./schema/Chat.js"
export * from "./schema/ChatTool.js"
export * from "./schema/Completion.js"
export * from "./schema/Embedding.js"
export * from "./schema/Evaluation.js"
export * from "./schema/Explanation.js"
export * from "./schema/Models.js"
export * from "./schema/Prompt.js"
export * from "./schema/Rerank.js"
export * from "./schema/SafeClass.js"
export * from "./schema/Steering.js"
export * from "./schema/StructuredOutput.js"
export * from "./schema/Tokenization.js"
export * from "./schema/Translation.js"
export * from "./services/index.js"
export {
  DEFAULT_MAX_MEDIA_BYTES,
  DEFAULT_MEDIA_TIMEOUT,
  type ImageDimensions,
  loadBase64FromFile,
  loadBase64FromUrl,
  type UrlLoadOptions
} from "./prompt/ImageSource.js"
export * from "./promise/AsyncClient.js"
export * as AsyncLoaders from "./promise/Loaders.js"
export { userAgent, version } from "./Version.js"
