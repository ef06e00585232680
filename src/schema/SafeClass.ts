/**
 * `Schema.Class` with the safe constructor of DESIGN §4: `new X(fields)` validates and may
 * throw a `ParseError` (the Effect convention); `X.make(fields)` returns
 * `Effect<X, ValidationError>` instead.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { ValidationError } from "../errors/AlephAlphaError.js"
import { firstIssue } from "./internal/parseErrorText.js"

type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T]

type Props<Fields extends Schema.Struct.Fields> = RequiredKeys<Schema.Struct.Constructor<Fields>> extends never
  ? void | Schema.Simplify<Schema.Struct.Constructor<Fields>>
  : Schema.Simplify<Schema.Struct.Constructor<Fields>>

/** The static side of a {@link SafeClass}: a `Schema.Class` whose `make` is the safe constructor. */
export type SafeClass<Self, Fields extends Schema.Struct.Fields> =
  & Omit<
    Schema.Class<
      Self,
      Fields,
      Schema.Struct.Encoded<Fields>,
      Schema.Struct.Context<Fields>,
      Schema.Struct.Constructor<Fields>,
      {},
      {}
    >,
    "make"
  >
  & {
    new(props: Props<Fields>, options?: Schema.MakeOptions): Schema.Struct.Type<Fields>
    /** Validates `props` and builds the instance; a violation is a `ValidationError` naming the field. */
    make<C extends new(...args: Array<any>) => any>(
      this: C,
      ...args: ConstructorParameters<C>
    ): Effect.Effect<InstanceType<C>, ValidationError>
  }

/** Turns a `ParseError` into a `ValidationError` naming the first offending field path. */
export const validationErrorFromParseError = (
  error: ParseResult.ParseError,
  subject?: string | undefined
): ValidationError => {
  const first = firstIssue(error)
  const path = first.path.map(String).join(".")
  return new ValidationError(subject === undefined ? { path, issue: first.message } : { path, issue: first.message, subject })
}

/** What a thrown value says, short; never throws (untyped code may throw anything, a Proxy even). */
export const describeThrown = (thrown: unknown): string => {
  try {
    const text = !(thrown instanceof Error)
      ? String(thrown)
      : thrown.name === "Error"
      ? thrown.message
      : `${thrown.name}: ${thrown.message}`
    return text.length > 200 ? `${text.slice(0, 200)}…` : text
  } catch {
    return "an exception"
  }
}

/** The most properties {@link unreadablePath} reads, and how deep it goes. */
const maxReads = 10_000
const maxDepth = 64

/**
 * The dotted path of the first part of `input` that throws when read: a getter, a `Proxy`
 * trap, a revoked `Proxy`. Best effort, bounded; `undefined` when every read succeeds.
 */
const unreadablePath = (input: unknown): string | undefined => {
  const stack: Array<readonly [unknown, ReadonlyArray<string>]> = [[input, []]]
  const seen = new Set<object>()
  let reads = 0
  while (stack.length > 0 && reads < maxReads) {
    const [value, path] = stack.pop()!
    if (typeof value !== "object" || value === null || seen.has(value)) continue
    seen.add(value)
    let keys: ReadonlyArray<PropertyKey>
    try {
      // the traps a check may run first: a revoked Proxy throws on each
      void Array.isArray(value)
      void Object.getPrototypeOf(value)
      keys = Reflect.ownKeys(value)
    } catch {
      return path.join(".")
    }
    const children: Array<readonly [unknown, ReadonlyArray<string>]> = []
    for (const key of keys) {
      if (typeof key !== "string") continue
      reads++
      let child: unknown
      try {
        child = (value as Record<string, unknown>)[key]
      } catch {
        return [...path, key].join(".")
      }
      if (path.length < maxDepth) children.push([child, [...path, key]])
    }
    // depth first, in key order
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
  }
  return undefined
}

/**
 * Turns what checking `input` threw — not a `ParseError`, but an exception of untyped code
 * (a getter, a `Proxy` trap) or a `RangeError` of input nested too deeply — into a
 * `ValidationError`, naming the part that could not be read when it can be found.
 */
export const validationErrorFromThrow = (
  thrown: unknown,
  input: unknown,
  subject?: string | undefined
): ValidationError => {
  const path = unreadablePath(input)
  const issue = path === undefined
    ? `could not be checked (${describeThrown(thrown)})`
    : `could not be read (${describeThrown(thrown)})`
  return new ValidationError({ path: path ?? "", issue, ...(subject === undefined ? {} : { subject }) })
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

/** Declares a wire model: `class X extends SafeClass<X>("aleph-alpha-client/X")({ ...fields }) {}`. */
export const SafeClass = <Self>(identifier: string) =>
<Fields extends Schema.Struct.Fields>(
  fields: Fields,
  annotations?: Schema.Annotations.Schema<Self>
): SafeClass<Self, Fields> => {
  const Base: any = Schema.Class<any>(identifier)(fields, annotations)
  const subject = identifier.slice(identifier.lastIndexOf("/") + 1)
  return class extends Base {
    static make(this: new(props: unknown) => unknown, props: unknown) {
      return Effect.try({
        try: () => new this(props),
        catch: (error) =>
          ParseResult.isParseError(error)
            ? validationErrorFromParseError(error, subject)
            : validationErrorFromThrow(error, props, subject)
      })
    }
  } as any
}
