/**
 * `Schema.Class` with the safe constructor of DESIGN §4: `new X(fields)` validates and may
 * throw a `ParseError` (the Effect convention); `X.make(fields)` returns
 * `Effect<X, ValidationError>` instead.
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { ValidationError } from "../errors/AlephAlphaError.js"
import { firstIssue } from "./internal/parseErrorText.js"
import { validationErrorFromThrow } from "./internal/thrown.js"

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
