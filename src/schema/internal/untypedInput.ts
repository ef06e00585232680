/**
 * Values from untyped JavaScript, read without throwing: what a value is, for a message, and
 * options objects copied once (their getters and `Proxy` traps may throw).
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { ValidationError } from "../../errors/AlephAlphaError.js"
import * as ParseResult from "effect/ParseResult"
import { validationErrorFromParseError } from "../SafeClass.js"
import { isInstance, isPlainInputClass, isPlainObject } from "./plainInput.js"
import { validationErrorFromThrow } from "./thrown.js"

export { isInstance }

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

/** Hand-checked encodings of a schema's common values (see {@link setLeanEncoder}). */
const leanEncoders = new WeakMap<Schema.Schema.Any, (value: unknown) => unknown>()

/**
 * Gives `schema` a hand-checked encoding of its common values (a plain `ChatRequest`: text
 * messages, scalar options), which `encodeInput` tries first: the schema's encoding costs a
 * plain call about a tenth of its CPU. It returns `undefined` for any value it does not take (and
 * anything it throws counts as that), which then goes through the schema; where it returns a
 * value, that must be the schema's encoding (a property test ties the two).
 */
export const setLeanEncoder = <A, I>(schema: Schema.Schema<A, I>, encode: (value: unknown) => I | undefined): void => {
  leanEncoders.set(schema as Schema.Schema.Any, encode)
}

const leanEncoding = (encode: (value: unknown) => unknown, value: unknown): unknown => {
  try {
    return encode(value)
  } catch {
    return undefined
  }
}

/**
 * `Schema.encodeEither(schema)(input)` for input from untyped code: a violation, and anything
 * the encoding throws (see {@link validationErrorFromThrow}), is a `ValidationError` about
 * `subject()` (asked only then). A plain object given for a class that takes plain objects
 * (a request class) becomes its instance first through its constructor, which checks it
 * (so its errors name the TypeScript fields).
 */
export const encodeInput = <A, I>(
  schema: Schema.Schema<A, I>,
  input: unknown,
  subject: () => string | undefined
): Either.Either<I, ValidationError> => {
  try {
    const value = isPlainInputClass(schema) && isPlainObject(input) && !isInstance(input, schema)
      ? new schema(input)
      : input
    const lean = leanEncoders.get(schema as Schema.Schema.Any)
    const wire = lean === undefined ? undefined : leanEncoding(lean, value)
    if (wire !== undefined) return Either.right(wire as I)
    return Either.mapLeft(Schema.encodeEither(schema)(value as A), (error) => validationErrorFromParseError(error, subject()))
  } catch (thrown) {
    return Either.left(
      ParseResult.isParseError(thrown)
        ? validationErrorFromParseError(thrown, subject())
        : validationErrorFromThrow(thrown, input, subject())
    )
  }
}
