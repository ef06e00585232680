/**
 * The Promise loaders that fetch URLs, over the `HttpClient` a layer gives: the global `fetch`
 * in the main build (`Loaders.ts`), the undici transport with the environment's proxies in the
 * Node build (`LoadersNode.ts`).
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Layer from "effect/Layer"
import * as ImageSource from "../../prompt/ImageSource.js"
import { Image } from "../../schema/Prompt.js"
import { runner } from "./runner.js"

export const urlLoaders = (layer: () => Layer.Layer<HttpClient.HttpClient, unknown>) => {
  const run = runner(layer)
  return {
    imageFromUrl: (...args: Parameters<typeof Image.fromUrl>): Promise<Image> =>
      run("Image.fromUrl", () => Image.fromUrl(...args)),
    imageFromUrlWithCropping: (...args: Parameters<typeof Image.fromUrlWithCropping>): Promise<Image> =>
      run("Image.fromUrlWithCropping", () => Image.fromUrlWithCropping(...args)),
    base64FromUrl: (...args: Parameters<typeof ImageSource.loadBase64FromUrl>): Promise<string> =>
      run("loadBase64FromUrl", () => ImageSource.loadBase64FromUrl(...args))
  }
}
