/**
 * `aleph-alpha-client/document`: `Document` (a docx, a text or a prompt as prompt items). Docx
 * files are read with `mammoth`, an optional peer dependency (`npm install mammoth`), loaded
 * when first used. Its own entry point, so that mammoth is in a bundle only when used.
 */
export * from "../prompt/Document.js"
export { documentFromDocxBytes } from "../promise/DocumentLoaders.js"
