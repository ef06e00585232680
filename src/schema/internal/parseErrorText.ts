/**
 * The text of a `ParseError` for an error message, bounded in size. Effect's formatters print
 * the offending value whole and recursively: a huge answer would make a huge message, and a
 * value nested 100,000 levels deep overflows the stack while it is printed (a `RangeError`
 * where a typed error was due).
 */
import * as ParseResult from "effect/ParseResult"

/** The most characters a parse error contributes to a message. */
export const maxParseErrorText = 2000

const bounded = (text: string): string =>
  text.length > maxParseErrorText
    ? `${text.slice(0, maxParseErrorText)}… (${text.length - maxParseErrorText} more characters)`
    : text

/** One issue: where, and what is wrong there. */
export interface FirstIssue {
  readonly path: ReadonlyArray<PropertyKey>
  readonly message: string
}

const safeString = (value: unknown): string => {
  try {
    return String(value)
  } catch {
    return "a value"
  }
}

/**
 * The first issue found by walking the tree (a loop: the tree may be as deep as the value),
 * described without printing the value.
 */
const firstIssueUnprinted = (issue: ParseResult.ParseIssue): FirstIssue => {
  const path: Array<PropertyKey> = []
  let current = issue
  while (true) {
    switch (current._tag) {
      case "Pointer":
        if (Array.isArray(current.path)) path.push(...(current.path as ReadonlyArray<PropertyKey>))
        else path.push(current.path as PropertyKey)
        current = current.issue
        continue
      case "Refinement":
      case "Transformation":
        current = current.issue
        continue
      case "Composite":
        current = Array.isArray(current.issues)
          ? (current.issues as ReadonlyArray<ParseResult.ParseIssue>)[0]!
          : current.issues as ParseResult.ParseIssue
        continue
      case "Missing":
        return { path, message: "is missing" }
      case "Unexpected":
        return { path, message: "is unexpected" }
      case "Forbidden":
        return { path, message: "is forbidden" }
      case "Type":
        return { path, message: bounded(`Expected ${safeString(current.ast)}, got a value too deeply nested to print`) }
    }
  }
}

/** The first issue of `error` as `ArrayFormatter` gives it, its message bounded; never throws. */
export const firstIssue = (error: ParseResult.ParseError): FirstIssue => {
  try {
    const first = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
    if (first !== undefined) return { path: first.path, message: bounded(first.message) }
  } catch {
    // the value is too deep to print
  }
  return firstIssueUnprinted(error.issue)
}

/** `TreeFormatter`'s text of `error`, bounded; never throws. */
export const formatParseError = (error: ParseResult.ParseError): string => {
  try {
    return bounded(ParseResult.TreeFormatter.formatErrorSync(error))
  } catch {
    const { message, path } = firstIssueUnprinted(error.issue)
    return bounded(path.length === 0 ? message : `at ${path.map(safeString).join(".")}: ${message}`)
  }
}
