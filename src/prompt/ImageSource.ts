/**
 * Loading media for prompts: files through the platform `FileSystem`, URLs through a bare
 * `HttpClient`, and the checks every loader shares (the bytes must be a PNG, JPEG, GIF, WebP or
 * BMP image whose header gives its size, a URL body is capped in size).
 *
 * `Image.fromFile`, `Image.fromUrl`, … (in `schema/Prompt.ts`) and `Document.fromDocxFile`
 * delegate here. The public utilities are {@link loadBase64FromFile} and
 * {@link loadBase64FromUrl}.
 *
 * ### The HTTP client used for URLs
 *
 * URLs are fetched with the `HttpClient` found in the context, with three safety measures:
 * any `Authorization` / `Proxy-Authorization` header is removed from the request after the
 * client's own request hooks ran (so even a client that was wrapped to add the API token does
 * not send it to a third-party host), redirects are followed (at most 10), and the body is
 * capped ({@link DEFAULT_MAX_MEDIA_BYTES}, or `maxBytes`). Still, pass a *bare* client
 * (`FetchHttpClient.layer`, `UndiciHttpClient.layer`) rather than one carrying credentials
 * or cookies of your own.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Headers from "@effect/platform/Headers"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Stream from "effect/Stream"
import { MediaError } from "../errors/AlephAlphaError.js"
import { readImageHeader } from "./ImageHeader.js"
import { stringArgument, unloadable, urlArgument, urlOptionsArgument, withArguments } from "./internal/loaderArguments.js"

/** The default cap on a body fetched from a URL: 20 MiB. */
export const DEFAULT_MAX_MEDIA_BYTES = 20 * 1024 * 1024

/** The default time allowed for fetching a URL (connect, redirects and the whole body): 60 s. */
export const DEFAULT_MEDIA_TIMEOUT: Duration.Duration = Duration.seconds(60)

/** Options for loading from a URL. */
export interface UrlLoadOptions {
  /** The largest body accepted, in bytes (default {@link DEFAULT_MAX_MEDIA_BYTES}). */
  readonly maxBytes?: number | undefined
  /** Give up after this long (default {@link DEFAULT_MEDIA_TIMEOUT}). */
  readonly timeout?: Duration.DurationInput | undefined
}

/** Width and height of an image in pixels, read from its header, and its format. */
export interface ImageDimensions {
  readonly width: number
  readonly height: number
  /** The format: `"png"`, `"jpg"`, `"gif"`, `"webp"` or `"bmp"`. */
  readonly type: string
}

const messageOf = (u: unknown): string => u instanceof Error ? u.message : String(u)

/** A short description of in-memory bytes, used as a `MediaError` source. */
export const describeBytes = (bytes: Uint8Array): string => `<${bytes.length} bytes>`

/**
 * Reads the header of `bytes` and returns the image's dimensions; bytes that are not a PNG,
 * JPEG, GIF, WebP or BMP image with a width and height fail with a `MediaError` naming `source`.
 */
export const imageDimensions = (
  bytes: Uint8Array,
  source: string = describeBytes(bytes)
): Effect.Effect<ImageDimensions, MediaError> => {
  const header = readImageHeader(bytes)
  if (typeof header === "string") return Effect.fail(new MediaError({ source, message: `Not an image: ${header}` }))
  if (header.width === 0 || header.height === 0) {
    return Effect.fail(new MediaError({ source, message: "Not an image: its header has no width and height" }))
  }
  return Effect.succeed(header)
}

/** Succeeds with `bytes` when they are an image, else fails with a `MediaError` naming `source`. */
export const checkImage = (
  bytes: Uint8Array,
  source: string = describeBytes(bytes)
): Effect.Effect<Uint8Array, MediaError> => Effect.as(imageDimensions(bytes, source), bytes)

/** Standard base64 (with padding, no `data:` prefix) — what an image item's `data` expects. */
export const encodeBase64 = (bytes: Uint8Array): string => {
  // Fast paths where the platform has one; the portable encoder otherwise.
  const native = (bytes as { toBase64?: () => string }).toBase64
  if (typeof native === "function") return native.call(bytes)
  const B = (globalThis as { Buffer?: { from(a: ArrayBufferLike, o: number, l: number): { toString(e: string): string } } })
    .Buffer
  if (B !== undefined) return B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
  return Encoding.encodeBase64(bytes)
}

/** Decodes standard base64; invalid input fails with a `MediaError` naming `source`. */
export const decodeBase64 = (base64: string, source: string): Effect.Effect<Uint8Array, MediaError> =>
  Either.match(Encoding.decodeBase64(base64), {
    onLeft: (cause) => Effect.fail(new MediaError({ source, message: `Invalid base64 (${cause.message})`, cause })),
    onRight: Effect.succeed
  })

/** Reads a whole file; a missing or unreadable file is a `MediaError` naming the path. */
export const readFileBytes = (path: string): Effect.Effect<Uint8Array, MediaError, FileSystem.FileSystem> =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFile(path)).pipe(
    Effect.mapError((cause) =>
      new MediaError({ source: path, message: `Could not read the file (${messageOf(cause)})`, cause })
    )
  )

/** Reads a file and checks that it is an image. */
export const readImageFile = (path: string): Effect.Effect<Uint8Array, MediaError, FileSystem.FileSystem> =>
  Effect.flatMap(readFileBytes(path), (bytes) => checkImage(bytes, path))

const credentialHeaders = ["authorization", "proxy-authorization"]

/** Rebuilds the request without credential headers (the platform has no header removal). */
const stripCredentials = (request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
  if (!credentialHeaders.some((name) => name in request.headers)) return request
  const headers = Headers.remove(request.headers, credentialHeaders)
  return HttpClientRequest.make(request.method)(request.url, {
    urlParams: request.urlParams,
    headers,
    ...(request.hash._tag === "Some" ? { hash: request.hash.value } : {}),
    ...(request.method === "GET" || request.method === "HEAD" ? {} : { body: request.body })
  } as HttpClientRequest.Options.NoUrl)
}

const parseHttpUrl = (url: string | URL): Effect.Effect<URL, MediaError> => {
  const source = String(url)
  let parsed: URL
  try {
    parsed = url instanceof URL ? url : new URL(url)
  } catch (cause) {
    return Effect.fail(new MediaError({ source, message: "Not a valid URL", cause }))
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return Effect.fail(
      new MediaError({ source, message: `Unsupported URL scheme ${JSON.stringify(parsed.protocol)}: only http and https` })
    )
  }
  return Effect.succeed(parsed)
}

const formatMiB = (n: number): string =>
  n >= 1024 * 1024 ? `${Math.round((n / (1024 * 1024)) * 100) / 100} MiB` : `${n} bytes`

/**
 * GETs `url` with the context's `HttpClient`, without credentials, following redirects; a
 * non-2xx status, a body over the cap, a transport failure or the timeout is a `MediaError`
 * naming the URL. Does not check the body's type (see {@link fetchImage}).
 */
export const fetchBytes = (
  url: string | URL,
  options?: UrlLoadOptions
): Effect.Effect<Uint8Array, MediaError, HttpClient.HttpClient> => {
  const source = String(url)
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_MEDIA_BYTES
  const timeout = options?.timeout ?? DEFAULT_MEDIA_TIMEOUT
  const tooLarge = (detail: string) =>
    new MediaError({ source, message: `The body is larger than the limit of ${formatMiB(maxBytes)} (${detail})` })
  return Effect.gen(function*() {
    const parsed = yield* parseHttpUrl(url)
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest(stripCredentials),
      HttpClient.withScope,
      HttpClient.followRedirects(10)
    )
    const response = yield* client.execute(HttpClientRequest.get(parsed)).pipe(
      Effect.mapError((cause) => new MediaError({ source, message: `Could not fetch the URL (${cause.message})`, cause }))
    )
    if (response.status < 200 || response.status >= 300) {
      return yield* new MediaError({ source, message: `The server answered HTTP ${response.status}` })
    }
    const declared = Number(response.headers["content-length"])
    if (Number.isFinite(declared) && declared > maxBytes) {
      return yield* tooLarge(`Content-Length ${declared}`)
    }
    const chunks: Array<Uint8Array> = []
    let total = 0
    yield* response.stream.pipe(
      Stream.mapError((cause) =>
        new MediaError({ source, message: `The connection failed while reading the body (${cause.message})`, cause })
      ),
      Stream.runForEach((chunk) => {
        total += chunk.length
        if (total > maxBytes) return Effect.fail(tooLarge(`more than ${total} bytes received`))
        chunks.push(chunk)
        return Effect.void
      })
    )
    if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0]
    const bytes = new Uint8Array(total)
    let offset = 0
    for (const chunk of chunks) {
      bytes.set(chunk, offset)
      offset += chunk.length
    }
    return bytes
  }).pipe(
    Effect.scoped,
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () => new MediaError({ source, message: `Timed out after ${Duration.format(timeout)}` })
    })
  )
}

/** {@link fetchBytes}, then checks that the body is an image. */
export const fetchImage = (
  url: string | URL,
  options?: UrlLoadOptions
): Effect.Effect<Uint8Array, MediaError, HttpClient.HttpClient> =>
  Effect.flatMap(fetchBytes(url, options), (bytes) => checkImage(bytes, String(url)))

/**
 * The base64 of an image file, exactly what an image item's `data` expects. A missing file or
 * bytes that are not an image fail with a `MediaError` naming the path.
 */
export const loadBase64FromFile = (path: string): Effect.Effect<string, MediaError, FileSystem.FileSystem> =>
  withArguments(unloadable("loadBase64FromFile"), () => Effect.map(readImageFile(stringArgument(path, "path")), encodeBase64))

/**
 * The base64 of an image fetched from `url` (http or https), exactly what an image item's
 * `data` expects. Fetched with the context's `HttpClient` with credentials stripped (pass a
 * bare client), redirects followed, the body capped (`maxBytes`, default 20 MiB) and checked to
 * be an image; every failure — including a non-2xx status, which the Python client ignores —
 * is a `MediaError` naming the URL.
 */
export const loadBase64FromUrl = (
  url: string | URL,
  options?: UrlLoadOptions
): Effect.Effect<string, MediaError, HttpClient.HttpClient> =>
  withArguments(
    unloadable("loadBase64FromUrl"),
    () => Effect.map(fetchImage(urlArgument(url, "url"), urlOptionsArgument(options, "options")), encodeBase64)
  )
