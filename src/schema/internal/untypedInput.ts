/**
 * Values from untyped JavaScript, read without throwing: what a value is, for a message, and
 * options objects copied once (their getters and `Proxy` traps may throw).
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { ValidationError } from "../../errors/AlephAlphaError.js"
import { validationErrorFromParseError } from "../SafeClass.js"
import { validationErrorFromThrow } from "./thrown.js"

/** `value instanceof C`, false where asking throws (a Proxy whose `getPrototypeOf` trap throws). */
export const isInstance = (value: unknown, C: abstract new(...args: Array<any>) => unknown): boolean => {
  try {
    return value instanceof C
  } catch {
    return false
  }
}

/** What a value is, in a message (`null`, `number`, `an array`, …); never throws. */
export const describeValue = (value: unknown): string => {
  if (value === null) return "null"
  if (typeof value !== "object") return typeof value
  try {
    return Array.isArray(value) ? "an array" : "an object"
  } catch {
    return "an object" // a revoked proxy
  }
}

/**
 * A plain copy of an options object from untyped code, read once: anything that is not an
 * object, and an object whose getters or `Proxy` traps throw, is a `ValidationError` about
 * `subject`. The values are copied as they are.
 */
export const copyOptions = (options: unknown, subject: string): Either.Either<Record<string, unknown>, ValidationError> => {
  if (typeof options !== "object" || options === null) {
    return Either.left(new ValidationError({ path: "", issue: `expected an options object, got ${describeValue(options)}`, subject }))
  }
  try {
    return Either.right({ ...options })
  } catch (thrown) {
    return Either.left(validationErrorFromThrow(thrown, options, subject))
  }
}

/**
 * `Schema.encodeEither(schema)(input)` for input from untyped code: a violation, and anything
 * the encoding throws (see {@link validationErrorFromThrow}), is a `ValidationError` about
 * `subject()` (asked only then).
 */
export const encodeInput = <A, I>(
  schema: Schema.Schema<A, I>,
  input: A,
  subject: () => string | undefined
): Either.Either<I, ValidationError> => {
  try {
    return Either.mapLeft(Schema.encodeEither(schema)(input), (error) => validationErrorFromParseError(error, subject()))
  } catch (thrown) {
    return Either.left(validationErrorFromThrow(thrown, input, subject()))
  }
}
