/**
 * Plain objects where a request field holds a class: each object may be an instance, its
 * TypeScript (camelCase) shape or its wire (snake_case) shape, and is turned into the instance
 * by the class's constructor. A bad part throws a `ParseError` whose path starts at the field,
 * so `X.make` and the methods report `messages.1.content`, not `content`.
 */
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import * as AST from "effect/SchemaAST"

// This module imports none of the package's own: `SafeClass` reads `PlainInputTypeId` when a
// class is declared, and an import cycle could leave it undefined then.

/** `value instanceof C`, false where asking throws (a Proxy whose `getPrototypeOf` trap throws). */
export const isInstance = (value: unknown, C: abstract new(...args: Array<any>) => unknown): boolean => {
  try {
    return value instanceof C
  } catch {
    return false
  }
}

/** Turns one plain value into what the field holds; leaves anything it does not know as it is. */
export type Coerce = (value: unknown, options: Schema.MakeOptions | undefined) => unknown

/** Marks the classes whose constructors take plain objects (see `encodeInput`). */
export const PlainInputTypeId: unique symbol = Symbol.for("aleph-alpha-client/PlainInput")

/** A class whose constructor turns plain objects into instances. */
export interface PlainInputClass {
  readonly [PlainInputTypeId]: true
  new(props: any, options?: Schema.MakeOptions): unknown
}

/** Whether `schema` is a class whose constructor takes plain objects. */
export const isPlainInputClass = (schema: unknown): schema is PlainInputClass =>
  typeof schema === "function" && (schema as Partial<PlainInputClass>)[PlainInputTypeId] === true

/**
 * A plain object: an object literal, `Object.create(null)`, or one from another realm — not
 * an array, and not an instance of some other class (another request class is no request).
 */
export const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === null || Object.getPrototypeOf(proto) === null
}

/** A `ParseError` at `path` saying `message` about `actual`. */
export const parseError = (key: PropertyKey, actual: unknown, message: string): ParseResult.ParseError =>
  new ParseResult.ParseError({
    issue: new ParseResult.Pointer(key, actual, new ParseResult.Type(AST.unknownKeyword, actual, message))
  })

/** Runs `f`; a `ParseError` it throws gets `key` in front of its path. */
export const at = <A>(key: PropertyKey, actual: unknown, f: () => A): A => {
  try {
    return f()
  } catch (error) {
    if (ParseResult.isParseError(error)) {
      throw new ParseResult.ParseError({ issue: new ParseResult.Pointer(key, actual, error.issue) })
    }
    throw error
  }
}

/** A plain object through `C`'s constructor; an instance, and anything not an object, as it is. */
export const instanceOf = (C: new(props: any, options?: Schema.MakeOptions) => unknown): Coerce => (value, options) =>
  isPlainObject(value) && !isInstance(value, C) ? new C(value, options) : value

/** Each element of an array through `coerce`, at its index. */
export const arrayOf = (coerce: Coerce): Coerce => (value, options) =>
  Array.isArray(value) ? value.map((element, i) => at(i, element, () => coerce(element, options))) : value

/** The fields of `props` named in `coercers`, each through its coercer at its name (absent ones stay absent). */
export const fieldsOf = (coercers: Readonly<Record<string, Coerce>>) =>
(props: Record<string, unknown>, options: Schema.MakeOptions | undefined): Record<string, unknown> => {
  let out = props
  for (const key of Object.keys(coercers)) {
    const value = props[key]
    if (value === undefined) continue
    const coerced = at(key, value, () => coercers[key]!(value, options))
    if (coerced === value) continue
    if (out === props) out = { ...props }
    out[key] = coerced
  }
  return out
}

/**
 * `props` with each wire name renamed to its TypeScript name (`[["toolCalls", "tool_calls"]]`);
 * an object that gives both names of one field is a `ParseError`.
 */
export const renamed = (
  props: Record<string, unknown>,
  names: ReadonlyArray<readonly [typeSide: string, wire: string]>
): Record<string, unknown> => {
  let out = props
  for (const [typeSide, wire] of names) {
    if (!(wire in props)) continue
    if (typeSide in props) throw parseError(wire, props[wire], `give ${typeSide} or ${wire}, not both`)
    if (out === props) out = { ...props }
    out[typeSide] = props[wire]
    delete out[wire]
  }
  return out
}
