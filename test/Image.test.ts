import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { deflateSync } from "node:zlib"
import {
  Cropping,
  DEFAULT_MAX_MEDIA_BYTES,
  Image,
  ImageControl,
  loadBase64FromFile,
  loadBase64FromUrl,
  MediaError,
  Prompt,
  ValidationError
} from "../src/index.js"
import { NodeFileSystem } from "../src/node/index.js"

// ---------------------------------------------------------------------------------------------
// images generated here: a real PNG (zlib-compressed RGB scanlines) and a JPEG header
// ---------------------------------------------------------------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (const byte of bytes) c = (crcTable[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type: string, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  out.set(new TextEncoder().encode(type), 4)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}
const concat = (...parts: Array<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** A valid RGB PNG of the given size (a red-green gradient). */
const makePng = (width: number, height: number): Uint8Array => {
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const raw = new Uint8Array(height * (1 + width * 3))
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set([(x * 255) / width, (y * 255) / height, 0], y * (1 + width * 3) + 1 + x * 3)
  }
  return concat(
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array())
  )
}

/** A baseline JPEG header: SOI, a JFIF APP0 segment, SOF0 with the size, EOI. */
const makeJpegHeader = (width: number, height: number): Uint8Array =>
  new Uint8Array([
    0xff, 0xd8, // SOI
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // APP0
    0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03, // SOF0
    0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
    0xff, 0xd9 // EOI
  ])

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64")

const png = makePng(3, 2)
const jpeg = makeJpegHeader(640, 480)
const notAnImage = new TextEncoder().encode("<html><body>Not an image</body></html>")

// ---------------------------------------------------------------------------------------------
// a loopback server that records what it receives
// ---------------------------------------------------------------------------------------------

interface Received {
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
}

let server: http.Server
let baseUrl: string
const received: Array<Received> = []

beforeAll(async () => {
  server = http.createServer((request, response) => {
    received.push({ url: request.url ?? "", headers: request.headers })
    switch (request.url) {
      case "/image.png":
        response.writeHead(200, { "content-type": "image/png" }).end(png)
        return
      case "/photo.jpg":
        response.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg)
        return
      case "/redirect":
        response.writeHead(302, { location: "/image.png" }).end()
        return
      case "/text":
        response.writeHead(200, { "content-type": "image/png" }).end(notAnImage)
        return
      case "/big":
        // a PNG header padded to 4 KiB, announced with Content-Length
        response.writeHead(200, { "content-type": "image/png" }).end(concat(png, new Uint8Array(4096 - png.length)))
        return
      case "/big-chunked": {
        // no Content-Length: the client must count while reading
        response.writeHead(200, { "content-type": "image/png" })
        response.write(png)
        for (let i = 0; i < 8; i++) response.write(new Uint8Array(1024))
        response.end()
        return
      }
      case "/huge":
        response.writeHead(200, { "content-type": "image/png", "content-length": String(DEFAULT_MAX_MEDIA_BYTES + 1) })
        response.write(png)
        // never finishes on its own: the client has to give up because of the Content-Length
        return
      default:
        response.writeHead(404).end("not found")
    }
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** A client that — wrongly — adds the API token to every request, as an authenticated transport would. */
const ClientWithToken = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, (client) =>
    client.pipe(HttpClient.mapRequest(HttpClientRequest.bearerToken("secret-api-token"))))
).pipe(Layer.provide(FetchHttpClient.layer))

const lastRequestTo = (path: string): Received | undefined => received.filter((r) => r.url === path).at(-1)

// ---------------------------------------------------------------------------------------------

describe("Image.dimensions", () => {
  it.effect("reads width and height from PNG bytes the test generates", () =>
    Effect.gen(function*() {
      const image = yield* Image.fromBytes(png)
      expect(yield* image.dimensions()).toEqual({ width: 3, height: 2, type: "png" })
      const large = yield* Image.fromBytes(makePng(300, 17))
      expect(yield* large.dimensions()).toEqual({ width: 300, height: 17, type: "png" })
    }))

  it.effect("reads width and height from a JPEG header the test generates", () =>
    Effect.gen(function*() {
      const image = yield* Image.fromBytes(jpeg)
      expect(yield* image.dimensions()).toEqual({ width: 640, height: 480, type: "jpg" })
    }))

  it.effect("fails with a MediaError when the base64 is not an image", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(new Image({ base64: base64(notAnImage) }).dimensions())
      expect(error).toBeInstanceOf(MediaError)
    }))
})

describe("Image.fromBytes", () => {
  it.effect("keeps the bytes as they are, base64-encoded, with the crop and controls given", () =>
    Effect.gen(function*() {
      const control = new ImageControl({ left: 0, top: 0, width: 0.5, height: 0.5, factor: 2 })
      const image = yield* Image.fromBytes(png, new Cropping({ x: 0, y: 0, size: 2 }), [control])
      expect(image.base64).toBe(base64(png))
      expect(image.cropping).toEqual(new Cropping({ x: 0, y: 0, size: 2 }))
      expect(image.controls).toEqual([control])
      expect(yield* image.bytes()).toEqual(png)
    }))

  it.effect("fails with a MediaError when the bytes are not an image", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Image.fromBytes(notAnImage))
      expect(error).toBeInstanceOf(MediaError)
      expect(error._tag).toBe("MediaError")
    }))
})

describe("Image.fromFile", () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aleph-alpha-image-"))
    await writeFile(join(dir, "picture.png"), png)
    await writeFile(join(dir, "notes.txt"), notAnImage)
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it.effect("reads the file through FileSystem and sends no crop", () =>
    Effect.gen(function*() {
      const image = yield* Image.fromFile(join(dir, "picture.png"))
      expect(image.base64).toBe(base64(png))
      expect(image.cropping).toBeUndefined()
      expect(yield* loadBase64FromFile(join(dir, "picture.png"))).toBe(base64(png))
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))

  it.effect("adds x, y and size with fromFileWithCropping", () =>
    Effect.gen(function*() {
      const image = yield* Image.fromFileWithCropping(join(dir, "picture.png"), 1, 0, 2)
      expect(image.cropping).toEqual(new Cropping({ x: 1, y: 0, size: 2 }))
      expect(JSON.stringify(Prompt.fromImage(image))).toBe(
        JSON.stringify([{ type: "image", data: base64(png), x: 1, y: 0, size: 2, controls: [] }])
      )
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))

  it.effect("rejects an invalid crop with a ValidationError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Image.fromFileWithCropping(join(dir, "picture.png"), 0, 0, 0))
      expect(error).toBeInstanceOf(ValidationError)
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))

  it.effect("fails with a MediaError naming a missing file", () =>
    Effect.gen(function*() {
      const path = join(dir, "missing.png")
      const error = yield* Effect.flip(Image.fromFile(path))
      expect(error).toBeInstanceOf(MediaError)
      expect((error as MediaError).source).toBe(path)
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))

  it.effect("fails with a MediaError naming a file that is not an image", () =>
    Effect.gen(function*() {
      const path = join(dir, "notes.txt")
      const error = yield* Effect.flip(loadBase64FromFile(path))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.source).toBe(path)
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))

  it.effect("dispatches fromImageSource on paths, file URLs, URLs and bytes", () =>
    Effect.gen(function*() {
      const fromPath = yield* Image.fromImageSource(join(dir, "picture.png"))
      const fromFileUrl = yield* Image.fromImageSource(`file://${join(dir, "picture.png")}`)
      const fromUrl = yield* Image.fromImageSource(`${baseUrl}/image.png`)
      const fromBytes = yield* Image.fromImageSource(png)
      for (const image of [fromPath, fromFileUrl, fromUrl, fromBytes]) expect(image.base64).toBe(base64(png))
    }).pipe(Effect.provide(Layer.merge(NodeFileSystem.layerReadFile, FetchHttpClient.layer))))
})

describe("Image.fromUrl", () => {
  it.effect("uses a test client that really does send the token on its own requests", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      yield* Effect.scoped(client.get(`${baseUrl}/image.png`))
      expect(lastRequestTo("/image.png")?.headers.authorization).toBe("Bearer secret-api-token")
    }).pipe(Effect.provide(ClientWithToken)))

  it.effect("loads the image and sends no Authorization header, even from a client that adds one", () =>
    Effect.gen(function*() {
      const image = yield* Image.fromUrl(`${baseUrl}/image.png`)
      expect(image.base64).toBe(base64(png))
      const request = lastRequestTo("/image.png")
      expect(request).toBeDefined()
      expect(request?.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(ClientWithToken)))

  it.effect("follows redirects without sending an Authorization header", () =>
    Effect.gen(function*() {
      const before = received.length
      const image = yield* Image.fromUrlWithCropping(`${baseUrl}/redirect`, 0, 0, 2)
      expect(image.base64).toBe(base64(png))
      expect(image.cropping).toEqual(new Cropping({ x: 0, y: 0, size: 2 }))
      const requests = received.slice(before)
      expect(requests.map((r) => r.url)).toEqual(["/redirect", "/image.png"])
      for (const request of requests) expect(request.headers.authorization).toBeUndefined()
    }).pipe(Effect.provide(ClientWithToken)))

  it.effect("reads JPEG dimensions from a fetched image", () =>
    Effect.gen(function*() {
      const image = yield* Image.fromUrl(`${baseUrl}/photo.jpg`)
      expect(yield* image.dimensions()).toEqual({ width: 640, height: 480, type: "jpg" })
      expect(yield* loadBase64FromUrl(`${baseUrl}/photo.jpg`)).toBe(base64(jpeg))
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("fails with a MediaError naming the URL when the body is not an image", () =>
    Effect.gen(function*() {
      const url = `${baseUrl}/text`
      const error = yield* Effect.flip(Image.fromUrl(url))
      expect(error).toBeInstanceOf(MediaError)
      expect((error as MediaError).source).toBe(url)
      expect(error.message).toMatch(/not an image/i)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("fails with a MediaError when the announced body is over the size cap", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Image.fromUrl(`${baseUrl}/big`, [], { maxBytes: 1024 }))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.message).toMatch(/larger than the limit/)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("fails with a MediaError when a body without Content-Length grows over the size cap", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadBase64FromUrl(`${baseUrl}/big-chunked`, { maxBytes: 2048 }))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.message).toMatch(/larger than the limit/)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("caps bodies at 20 MiB by default", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Image.fromUrl(`${baseUrl}/huge`))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.message).toMatch(/20 MiB/)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("fails with a MediaError on a non-2xx status", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Image.fromUrl(`${baseUrl}/missing.png`))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.message).toMatch(/404/)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("fails with a MediaError on a scheme other than http and https", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadBase64FromUrl("ftp://example.invalid/image.png"))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.source).toBe("ftp://example.invalid/image.png")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.effect("fails with a MediaError when nothing listens at the URL", () =>
    Effect.gen(function*() {
      const closed = http.createServer()
      yield* Effect.promise(() => new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve)))
      const port = (closed.address() as AddressInfo).port
      yield* Effect.promise(() => new Promise<void>((resolve) => closed.close(() => resolve())))
      const error = yield* Effect.flip(Image.fromUrl(`http://127.0.0.1:${port}/image.png`))
      expect(error).toBeInstanceOf(MediaError)
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})
