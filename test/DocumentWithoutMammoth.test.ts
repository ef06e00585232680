/**
 * Reading a docx where the optional peer `mammoth` cannot be loaded (not installed): a
 * `MediaError` that says how to install it, and the next read tries to load it again.
 */
import { describe, expect, it, vi } from "vitest"
import * as Effect from "effect/Effect"
import { MediaError } from "../src/index.js"
import { Document, documentFromDocxBytes } from "../src/document/index.js"

// what a missing package does to `import("mammoth")`: it rejects
vi.mock("mammoth", () => {
  throw new Error("Cannot find package 'mammoth' imported from aleph-alpha-client")
})

const bytes = new Uint8Array([0x50, 0x4b, 0x03, 0x04])

describe("a docx without mammoth installed", () => {
  it("is a MediaError naming `npm install mammoth`, on every attempt", async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await Effect.runPromise(Effect.flip(Document.fromDocxBytes(bytes)))
      expect(error).toBeInstanceOf(MediaError)
      expect(error.message).toContain("npm install mammoth")
      expect(error.source).toBe("<4 bytes>")
    }
  })

  it("rejects the Promise loader with the same MediaError", async () => {
    const rejection = await documentFromDocxBytes(bytes).then(() => undefined, (e: unknown) => e)
    expect(rejection).toBeInstanceOf(MediaError)
    expect((rejection as MediaError).message).toContain("npm install mammoth")
  })
})
