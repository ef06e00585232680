/**
 * What untyped code threw (a getter, a `Proxy` trap, a `RangeError` of input nested too deeply)
 * turned into a `ValidationError`, without throwing again.
 */
import { ValidationError } from "../../errors/AlephAlphaError.js"

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
