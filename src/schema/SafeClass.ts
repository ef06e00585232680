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
import { isPlainObject, PlainInputTypeId } from "./internal/plainInput.js"
import { validationErrorFromThrow } from "./internal/thrown.js"

type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T]

type Optional<Props> = RequiredKeys<Props> extends never ? void | Props : Props

/**
 * The constructor's argument: the fields, those named in `Overrides` with the types given
 * there (a union of shapes is taken member by member).
 */
type Props<Fields extends Schema.Struct.Fields, Overrides> = [Overrides] extends [never]
  ? Optional<Schema.Simplify<Schema.Struct.Constructor<Fields>>>
  : Overrides extends unknown ? Optional<Schema.Simplify<Omit<Schema.Struct.Constructor<Fields>, keyof Overrides> & Overrides>>
  : never

/**
 * What a request field holding class `C` accepts, and what `new C`, `C.make` and the methods
 * taking a `C` accept: an instance, or a plain object of its fields (whose own class-holding
 * fields accept plain objects too).
 */
export type InputOf<C extends abstract new(...args: any) => any> =
  | InstanceType<C>
  | Exclude<ConstructorParameters<C>[0], void | undefined>

/** The static side of a {@link SafeClass}: a `Schema.Class` whose `make` is the safe constructor. */
export type SafeClass<Self, Fields extends Schema.Struct.Fields, Overrides = never> =
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
    new(props: Props<Fields, Overrides>, options?: Schema.MakeOptions): Schema.Struct.Type<Fields>
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

/**
 * Declares a wire model: `class X extends SafeClass<X>("aleph-alpha-client/X")({ ...fields }) {}`.
 *
 * A model whose fields hold classes passes `input`, which turns the plain objects in those
 * fields into instances before the fields are checked, and names their accepted types in
 * `Overrides` (`SafeClass<X, { readonly tools?: ReadonlyArray<InputOf<typeof Tool>> }>`).
 */
export const SafeClass = <Self, Overrides = never>(identifier: string) =>
<Fields extends Schema.Struct.Fields>(
  fields: Fields,
  annotations?: Schema.Annotations.Schema<Self> | undefined,
  input?: (props: Record<string, unknown>, options: Schema.MakeOptions | undefined) => Record<string, unknown>
): SafeClass<Self, Fields, Overrides> => {
  const Base: any = Schema.Class<any>(identifier)(fields, annotations)
  const subject = identifier.slice(identifier.lastIndexOf("/") + 1)
  return class extends Base {
    static readonly [PlainInputTypeId] = true

    constructor(props: unknown, options?: Schema.MakeOptions) {
      super(input !== undefined && isPlainObject(props) ? input(props, options) : props, options)
    }

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
