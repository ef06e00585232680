/**
 * Width, height and format of an image, read from its header: PNG, JPEG, GIF, WebP and BMP.
 * Our own few lines instead of the `image-size` package, which reads thirty formats the API
 * does not take and would sit in every bundle that builds a prompt (its loading cannot be
 * deferred in a bundle without code splitting).
 */

/** Width and height in pixels of an image, and its format. */
export interface ImageHeader {
  readonly width: number
  readonly height: number
  /** `"png"`, `"jpg"`, `"gif"`, `"webp"` or `"bmp"`. */
  readonly type: "png" | "jpg" | "gif" | "webp" | "bmp"
}

const ascii = (bytes: Uint8Array, offset: number, text: string): boolean => {
  if (bytes.length < offset + text.length) return false
  for (let i = 0; i < text.length; i++) if (bytes[offset + i] !== text.charCodeAt(i)) return false
  return true
}

/**
 * The header of `bytes`, or a short reason why it is not an image of a known format (or is cut
 * off before its dimensions).
 */
export const readImageHeader = (bytes: Uint8Array): ImageHeader | string => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const has = (length: number) => bytes.length >= length
  if (ascii(bytes, 0, "\x89PNG\r\n\x1a\n")) {
    if (!has(24) || !ascii(bytes, 12, "IHDR")) return "a PNG without its IHDR header"
    return { width: view.getUint32(16), height: view.getUint32(20), type: "png" }
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return readJpeg(bytes, view)
  if (ascii(bytes, 0, "GIF87a") || ascii(bytes, 0, "GIF89a")) {
    if (!has(10)) return "a GIF cut off in its header"
    return { width: view.getUint16(6, true), height: view.getUint16(8, true), type: "gif" }
  }
  if (ascii(bytes, 0, "RIFF") && ascii(bytes, 8, "WEBP")) return readWebp(bytes, view)
  if (ascii(bytes, 0, "BM") && has(26)) {
    return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)), type: "bmp" }
  }
  return "unknown format (expected PNG, JPEG, GIF, WebP or BMP)"
}

// start-of-frame markers, which carry the dimensions: C0–CF except DHT (C4), JPG (C8), DAC (CC)
const isStartOfFrame = (marker: number) => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc

const readJpeg = (bytes: Uint8Array, view: DataView): ImageHeader | string => {
  let offset = 2
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return "a JPEG with a damaged segment"
    const marker = bytes[offset + 1]!
    if (marker === 0xff) {
      offset++ // fill byte
      continue
    }
    // markers without a length: TEM and the restart markers
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2
      continue
    }
    if (marker === 0xd9 || marker === 0xda) break // end of image, start of scan: no frame header before
    if (isStartOfFrame(marker)) {
      if (offset + 9 > bytes.length) break
      return { width: view.getUint16(offset + 7), height: view.getUint16(offset + 5), type: "jpg" }
    }
    offset += 2 + view.getUint16(offset + 2)
  }
  return "a JPEG without a frame header"
}

const readWebp = (bytes: Uint8Array, view: DataView): ImageHeader | string => {
  if (ascii(bytes, 12, "VP8X") && bytes.length >= 30) {
    const uint24 = (at: number) => bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)
    return { width: 1 + uint24(24), height: 1 + uint24(27), type: "webp" }
  }
  if (ascii(bytes, 12, "VP8 ") && bytes.length >= 30 && bytes[23] === 0x9d && bytes[24] === 0x01 && bytes[25] === 0x2a) {
    return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff, type: "webp" }
  }
  if (ascii(bytes, 12, "VP8L") && bytes.length >= 25 && bytes[20] === 0x2f) {
    const [b0, b1, b2, b3] = [bytes[21]!, bytes[22]!, bytes[23]!, bytes[24]!]
    return {
      width: 1 + (((b1 & 0x3f) << 8) | b0),
      height: 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6)),
      type: "webp"
    }
  }
  return "a WebP without a VP8, VP8L or VP8X header"
}
