import * as FileSystem from "@effect/platform/FileSystem"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { NodeFileSystem } from "../src/node/index.js"

describe("NodeFileSystem.layerReadFile", () => {
  it.effect("reads files as bytes and text, says whether they exist, and does nothing else", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "aa-fs-")))
      const file = path.join(dir, "apple.txt")
      yield* Effect.promise(() => fs.writeFile(file, "Äpfel"))
      const files = yield* FileSystem.FileSystem
      expect(new TextDecoder().decode(yield* files.readFile(file))).toBe("Äpfel")
      expect(yield* files.readFileString(file)).toBe("Äpfel")
      expect(yield* files.exists(file)).toBe(true)
      expect(yield* files.exists(path.join(dir, "pear.txt"))).toBe(false)
      const missing = yield* Effect.flip(files.readFile(path.join(dir, "pear.txt")))
      expect(missing).toMatchObject({ _tag: "SystemError", reason: "NotFound", method: "readFile" })
      expect(yield* Effect.flip(files.readFile(dir))).toMatchObject({ _tag: "SystemError", reason: "BadResource" })
      yield* Effect.flip(files.writeFileString(file, "Birnen"))
      expect(yield* files.readFileString(file)).toBe("Äpfel")
      yield* Effect.promise(() => fs.rm(dir, { recursive: true }))
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile)))
})
