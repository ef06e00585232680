/**
 * Promise versions of the loaders that run anywhere: images from URLs and bytes, their
 * dimensions, base64 from a URL. URLs are fetched with the global `fetch`, bare (no credentials
 * ever go to the image's host); the Node build fetches them with undici, through the proxy of
 * `HTTPS_PROXY`/`HTTP_PROXY` (`LoadersNode.ts`). Failures reject with the same `MediaError` /
 * `ValidationError` as the Effect versions. The file loaders are in `aleph-alpha-client/node`
 * (`AsyncFileLoaders`).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as ImageSource from "../prompt/ImageSource.js"
import { type Cropping, Image, type ImageControl } from "../schema/Prompt.js"
import { runner } from "./internal/runner.js"
import { urlLoaders } from "./internal/urlLoaders.js"

const run = runner(() => Layer.empty)
const overFetch = urlLoaders(() => FetchHttpClient.layer)

/** `Image.fromUrl`: fetches an image (bare, size-capped, checked to be an image); no crop. */
export const imageFromUrl = overFetch.imageFromUrl

/** `Image.fromUrlWithCropping`. */
export const imageFromUrlWithCropping = overFetch.imageFromUrlWithCropping

/** `Image.fromBytes`: the bytes as they are, checked to be an image. */
export const imageFromBytes = (
  bytes: Uint8Array,
  cropping?: Cropping,
  controls?: ReadonlyArray<ImageControl>
): Promise<Image> => run("Image.fromBytes", () => Image.fromBytes(bytes, cropping, controls))

/** `image.dimensions()`: width and height read from the image's header. */
export const imageDimensions = (image: Image): Promise<ImageSource.ImageDimensions> => run("image.dimensions", () => image.dimensions())

/** `loadBase64FromUrl`: the base64 of an image fetched from a URL. */
export const base64FromUrl = overFetch.base64FromUrl
