/**
 * A `FileSystem` for the file loaders (`Image.fromFile`, `loadBase64FromFile`,
 * `Document.fromDocxFile`) over `node:fs/promises`, so that reading a file needs no
 * `@effect/platform-node`. It reads: `readFile`, `readFileString`, `exists` and `access` work;
 * every other operation fails or dies as in `FileSystem.makeNoop`. For a whole file system,
 * provide `NodeFileSystem.layer` of `@effect/platform-node` instead.
 */
import { SystemError, type SystemErrorReason } from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as fs from "node:fs/promises"

const reasonOf = (code: unknown): SystemErrorReason => {
  switch (code) {
    case "ENOENT":
      return "NotFound"
    case "EACCES":
    case "EPERM":
      return "PermissionDenied"
    case "EISDIR":
    case "ENOTDIR":
      return "BadResource"
    case "EEXIST":
      return "AlreadyExists"
    case "EBUSY":
      return "Busy"
    default:
      return "Unknown"
  }
}

const systemError = (method: string, path: string) => (cause: unknown) =>
  new SystemError({
    module: "FileSystem",
    method,
    pathOrDescriptor: path,
    reason: reasonOf((cause as { code?: unknown } | null)?.code),
    description: cause instanceof Error ? cause.message : String(cause),
    cause
  })

/** Builds the reading file system (see the module notes). */
export const makeReadFile = (): FileSystem.FileSystem => FileSystem.makeNoop({
  readFile: (path) =>
    Effect.tryPromise({
      try: (signal) => fs.readFile(path, { signal }).then((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)),
      catch: systemError("readFile", path)
    }),
  readFileString: (path, encoding) =>
    Effect.tryPromise({
      try: (signal) => fs.readFile(path, { signal, encoding: (encoding ?? "utf-8") as BufferEncoding }),
      catch: systemError("readFileString", path)
    }),
  access: (path) => Effect.tryPromise({ try: () => fs.access(path), catch: systemError("access", path) }),
  exists: (path) =>
    Effect.tryPromise({
      try: () => fs.access(path).then(() => true, (error) => (error as { code?: unknown }).code === "ENOENT" ? false : Promise.reject(error)),
      catch: systemError("exists", path)
    })
})

/** Provides the reading file system (see the module notes) as the `FileSystem`. */
export const layerReadFile: Layer.Layer<FileSystem.FileSystem> = Layer.sync(FileSystem.FileSystem, makeReadFile)
