import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Image, MediaError } from "../src/index.js"
import { readImageHeader } from "../src/prompt/ImageHeader.js"

const bytes = (...parts: Array<string | ReadonlyArray<number>>): Uint8Array =>
  new Uint8Array(parts.flatMap((part) => typeof part === "string" ? [...part].map((c) => c.charCodeAt(0)) : [...part]))
const le16 = (n: number) => [n & 0xff, n >> 8]
const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, n >> 16]
const le32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff]
const be16 = (n: number) => [n >> 8, n & 0xff]
const be32 = (n: number) => [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]

const png = bytes([0x89], "PNG\r\n\x1a\n", be32(13), "IHDR", be32(640), be32(480), [8, 6, 0, 0, 0])
// SOI, an APP0 segment to skip, fill bytes, then a baseline frame header (SOF0)
const jpeg = bytes([0xff, 0xd8], [0xff, 0xe0], be16(6), "JFIF", [0xff, 0xff, 0xc0], be16(11), [8], be16(200), be16(300), [3])
const gif = bytes("GIF89a", le16(31), le16(17), [0, 0, 0])
const webpLossy = bytes("RIFF", le32(30), "WEBPVP8 ", le32(10), [0, 0, 0, 0x9d, 0x01, 0x2a], le16(123), le16(45))
const webpLossless = (() => {
  const [w, h] = [1000 - 1, 700 - 1]
  return bytes("RIFF", le32(30), "WEBPVP8L", le32(5), [0x2f, w & 0xff, ((w >> 8) & 0x3f) | ((h & 0x3) << 6), (h >> 2) & 0xff, (h >> 10) & 0x0f])
})()
const webpExtended = bytes("RIFF", le32(30), "WEBPVP8X", le32(10), [0, 0, 0, 0], le24(4096 - 1), le24(2160 - 1))
const bmp = bytes("BM", le32(0), le32(0), le32(54), le32(40), le32(16), le32(-9))

describe("image headers", () => {
  it("reads the width, height and format of PNG, JPEG, GIF, WebP (lossy, lossless, extended) and BMP", () => {
    expect(readImageHeader(png)).toEqual({ width: 640, height: 480, type: "png" })
    expect(readImageHeader(jpeg)).toEqual({ width: 300, height: 200, type: "jpg" })
    expect(readImageHeader(gif)).toEqual({ width: 31, height: 17, type: "gif" })
    expect(readImageHeader(webpLossy)).toEqual({ width: 123, height: 45, type: "webp" })
    expect(readImageHeader(webpLossless)).toEqual({ width: 1000, height: 700, type: "webp" })
    expect(readImageHeader(webpExtended)).toEqual({ width: 4096, height: 2160, type: "webp" })
    expect(readImageHeader(bmp)).toEqual({ width: 16, height: 9, type: "bmp" })
  })

  it("says why bytes are not an image: unknown format, or cut off before the dimensions", () => {
    expect(readImageHeader(bytes("<html></html>"))).toMatch(/unknown format/)
    expect(readImageHeader(png.subarray(0, 20))).toMatch(/PNG without its IHDR/)
    expect(readImageHeader(jpeg.subarray(0, 12))).toMatch(/JPEG without a frame header/)
    expect(readImageHeader(gif.subarray(0, 8))).toMatch(/GIF cut off/)
    expect(readImageHeader(webpLossy.subarray(0, 24))).toMatch(/WebP without/)
    expect(readImageHeader(new Uint8Array())).toMatch(/unknown format/)
  })

  it.effect("Image.fromBytes takes every format it reads and refuses the rest with a MediaError", () =>
    Effect.gen(function*() {
      for (const [image, type] of [[png, "png"], [jpeg, "jpg"], [gif, "gif"], [webpLossy, "webp"], [bmp, "bmp"]] as const) {
        const loaded = yield* Image.fromBytes(image)
        expect((yield* loaded.dimensions()).type).toBe(type)
      }
      const error = yield* Effect.flip(Image.fromBytes(bytes("GIF89a", le16(0), le16(0))))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.message).toContain("no width and height")
    }))
})
