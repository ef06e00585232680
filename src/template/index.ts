/**
 * `aleph-alpha-client/template`: `PromptTemplate`, Liquid templates rendered into prompts with
 * liquidjs (loaded when first used). Its own entry point, so that liquidjs is in a bundle only
 * when used.
 */
export * from "../prompt/PromptTemplate.js"
export { promptTemplate, renderPromptTemplate } from "../promise/TemplateLoaders.js"
