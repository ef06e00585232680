/**
 * The Promise loaders that fetch URLs, over the `HttpClient` a layer gives: the global `fetch`
 * in the main build (`Loaders.ts`), the undici transport with the environment's proxies in the
 * Node build (`LoadersNode.ts`).
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Layer from "effect/Layer"
import * as ImageSource from "../../prompt/ImageSource.js"
import { Image, type ImageControl } from "../../schema/Prompt.js"
import { runner } from "./runner.js"

export const urlLoaders = (layer: () => Layer.Layer<HttpClient.HttpClient, unknown>) => {
  const run = runner(layer)
  return {
    imageFromUrl: (
      url: string | URL,
      controls?: ReadonlyArray<ImageControl>,
      options?: ImageSource.UrlLoadOptions
    ): Promise<Image> => run("Image.fromUrl", () => Image.fromUrl(url, controls, options)),
    imageFromUrlWithCropping: (
      url: string | URL,
      upperLeftX: number,
      upperLeftY: number,
      cropSize: number,
      controls?: ReadonlyArray<ImageControl>,
      options?: ImageSource.UrlLoadOptions
    ): Promise<Image> =>
      run("Image.fromUrlWithCropping", () => Image.fromUrlWithCropping(url, upperLeftX, upperLeftY, cropSize, controls, options)),
    base64FromUrl: (url: string | URL, options?: ImageSource.UrlLoadOptions): Promise<string> =>
      run("loadBase64FromUrl", () => ImageSource.loadBase64FromUrl(url, options))
  }
}
