/**
 * `AsyncLoaders` as the package's Node build exports it: the loaders that fetch URLs use the
 * undici transport, so they go through the proxy of `HTTPS_PROXY`/`HTTP_PROXY` (minus
 * `NO_PROXY`) as `AsyncClient` on Node does; a proxy variable that is no URL rejects them with
 * a `ValidationError`. The others are the main build's.
 */
import * as UndiciHttpClient from "../node/UndiciHttpClient.js"
import { urlLoaders } from "./internal/urlLoaders.js"

export * from "./Loaders.js"

const overUndici = urlLoaders(() => UndiciHttpClient.layer())

/** `Image.fromUrl`: fetches an image (bare, size-capped, checked to be an image); no crop. */
export const imageFromUrl = overUndici.imageFromUrl

/** `Image.fromUrlWithCropping`. */
export const imageFromUrlWithCropping = overUndici.imageFromUrlWithCropping

/** `loadBase64FromUrl`: the base64 of an image fetched from a URL. */
export const base64FromUrl = overUndici.base64FromUrl
