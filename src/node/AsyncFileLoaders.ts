/**
 * Promise versions of the loaders that read files: images and base64, read with
 * `node:fs/promises` (through `NodeFileSystem.layerReadFile`); a path given to
 * `imageFromSource` may also be a URL, fetched bare with the undici transport (through the proxy
 * of `HTTPS_PROXY`/`HTTP_PROXY`, as `AsyncLoaders` on Node). Failures reject with the same
 * `MediaError` / `ValidationError` as the Effect versions.
 */
import * as Layer from "effect/Layer"
import { runner } from "../promise/internal/runner.js"
import * as ImageSource from "../prompt/ImageSource.js"
import { Image, type ImageControl } from "../schema/Prompt.js"
import * as NodeFileSystem from "./NodeFileSystem.js"
import * as UndiciHttpClient from "./UndiciHttpClient.js"

const run = runner(() => Layer.merge(NodeFileSystem.layerReadFile, UndiciHttpClient.layer()))

/** `Image.fromFile`: reads an image file; no crop. */
export const imageFromFile = (path: string, controls?: ReadonlyArray<ImageControl>): Promise<Image> =>
  run("Image.fromFile", () => Image.fromFile(path, controls))

/** `Image.fromFileWithCropping`: reads an image file and sends a square crop. */
export const imageFromFileWithCropping = (
  path: string,
  upperLeftX: number,
  upperLeftY: number,
  cropSize: number,
  controls?: ReadonlyArray<ImageControl>
): Promise<Image> => run("Image.fromFileWithCropping", () => Image.fromFileWithCropping(path, upperLeftX, upperLeftY, cropSize, controls))

/** `Image.fromImageSource`: a path, a URL or bytes. */
export const imageFromSource = (
  source: string | URL | Uint8Array,
  controls?: ReadonlyArray<ImageControl>,
  options?: ImageSource.UrlLoadOptions
): Promise<Image> => run("Image.fromImageSource", () => Image.fromImageSource(source, controls, options))

/** `loadBase64FromFile`: the base64 of an image file. */
export const base64FromFile = (path: string): Promise<string> => run("loadBase64FromFile", () => ImageSource.loadBase64FromFile(path))

