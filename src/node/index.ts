/**
 * `aleph-alpha-client/node`: what runs on Node only. The undici transport
 * (`UndiciHttpClient.layer`), a `FileSystem` that reads files for the Effect file loaders
 * (`NodeFileSystem.layerReadFile`) and the Promise file loaders (`AsyncFileLoaders`).
 */
export * as AsyncFileLoaders from "./AsyncFileLoaders.js"
export * as NodeFileSystem from "./NodeFileSystem.js"
export * as UndiciHttpClient from "./UndiciHttpClient.js"
