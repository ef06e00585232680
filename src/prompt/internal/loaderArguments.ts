/**
 * The arguments of the loaders (`Image.fromBytes`, `Image.fromUrl`, `loadBase64FromFile`,
 * `Document.fromDocxBytes`, …) as untyped JavaScript may pass them: a number for a path, a
 * `Proxy` for bytes, options whose getters throw. Each loader reads its arguments once, with
 * the readers below, into values that cannot throw later; a wrong or unreadable argument is
 * the loader's own typed failure, never a throw from the function or a defect.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { MediaError, ValidationError } from "../../errors/AlephAlphaError.js"
import { describeValue, isInstance } from "../../schema/internal/untypedInput.js"
import { describeThrown } from "../../schema/internal/thrown.js"

/** Thrown by a reader; {@link withArguments} turns it into the loader's failure. */
class BadArgument {
  constructor(readonly path: string, readonly issue: string) {}
}

/** The failure of a loader for a bad argument at `path`. */
export type ArgumentFailure<E> = (path: string, issue: string) => E

/** A bad argument as a `ValidationError` about `subject` (for loaders that declare it). */
export const invalidArgument = (subject: string): ArgumentFailure<ValidationError> => (path, issue) =>
  new ValidationError({ path, issue, subject })

/** A bad argument as a `MediaError` (for loaders whose only failure it is): nothing could be loaded. */
export const unloadable = (loader: string): ArgumentFailure<MediaError> => (path, issue) =>
  new MediaError({ source: `${loader}(${path})`, message: `Invalid argument ${path}: ${issue}` })

/**
 * The effect `body` builds from the arguments it reads: what reading throws is `fail`'s
 * error, at the path a reader names or else the root.
 */
export const withArguments = <A, E, R, E2>(
  fail: ArgumentFailure<E2>,
  body: () => Effect.Effect<A, E, R>
): Effect.Effect<A, E | E2, R> => {
  try {
    return body()
  } catch (thrown) {
    return Effect.fail(
      isInstance(thrown, BadArgument)
        ? fail((thrown as BadArgument).path, (thrown as BadArgument).issue)
        : fail("", `could not be read (${describeThrown(thrown)})`)
    )
  }
}

/** Reads `value` with `read`; what it throws is a bad argument at `path`. */
const reading = <A>(path: string, read: () => A): A => {
  try {
    return read()
  } catch (thrown) {
    if (isInstance(thrown, BadArgument)) throw thrown
    throw new BadArgument(path, `could not be read (${describeThrown(thrown)})`)
  }
}

/** A string argument. */
export const stringArgument = (value: unknown, path: string): string => {
  if (typeof value !== "string") throw new BadArgument(path, `expected a string, got ${describeValue(value)}`)
  return value
}

// The typed-array accessors themselves: they read the internal slots, which neither a Proxy
// (it has none: the tag is undefined) nor a getter defined on the instance can fake.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object
const intrinsic = (key: PropertyKey) => Object.getOwnPropertyDescriptor(typedArrayPrototype, key)!.get!
const tagOf = intrinsic(Symbol.toStringTag)
const bufferOf = intrinsic("buffer")
const offsetOf = intrinsic("byteOffset")
const lengthOf = intrinsic("byteLength")

/** Whether `value` is a real `Uint8Array` (a Node `Buffer` too), not a Proxy or a look-alike. */
export const isBytes = (value: unknown): value is Uint8Array => tagOf.call(value) === "Uint8Array"

/** A `Uint8Array` argument, as a fresh view of its bytes (not copied). */
export const bytesArgument = (value: unknown, path: string): Uint8Array => {
  if (!isBytes(value)) throw new BadArgument(path, `expected a Uint8Array, got ${describeValue(value)}`)
  return reading(path, () =>
    new Uint8Array(bufferOf.call(value) as ArrayBuffer, offsetOf.call(value) as number, lengthOf.call(value) as number))
}

/** A URL argument: a string as it is, a `URL` as a fresh copy. */
export const urlArgument = (value: unknown, path: string): string | URL => {
  if (typeof value === "string") return value
  return reading(path, () => {
    if (!(value instanceof URL)) throw new BadArgument(path, `expected a URL or a string, got ${describeValue(value)}`)
    return new URL(URL.prototype.toString.call(value))
  })
}

/** The options of a URL loader: `maxBytes` a positive integer, `timeout` a duration. */
export interface UrlOptions {
  readonly maxBytes?: number | undefined
  readonly timeout?: Duration.DurationInput | undefined
}

/** The `options` argument of a URL loader, read once and checked. */
export const urlOptionsArgument = (value: unknown, path: string): UrlOptions | undefined => {
  if (value === undefined) return undefined
  if (typeof value !== "object" || value === null) {
    throw new BadArgument(path, `expected an options object, got ${describeValue(value)}`)
  }
  const { maxBytes, timeout } = reading(path, () => {
    const options = value as UrlOptions
    return { maxBytes: options.maxBytes, timeout: options.timeout }
  })
  if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes > 0)) {
    throw new BadArgument(`${path}.maxBytes`, "expected a positive integer number of bytes")
  }
  if (timeout === undefined) return maxBytes === undefined ? {} : { maxBytes }
  const duration = reading(`${path}.timeout`, () => Duration.decodeUnknown(timeout))
  if (Option.isNone(duration) || !Duration.greaterThan(duration.value, Duration.zero)) {
    throw new BadArgument(`${path}.timeout`, "expected a positive duration")
  }
  return maxBytes === undefined ? { timeout: duration.value } : { maxBytes, timeout: duration.value }
}
