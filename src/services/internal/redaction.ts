/**
 * Keeping the token out of what the client builds from a server's words: a server (or a proxy)
 * may echo the `Authorization` header into an error body, a malformed answer or a protocol
 * error, and the client would otherwise copy it into an error message, its `cause`, and from
 * there into logs and spans. Applied where errors are made, never on a success.
 */
import type { AlephAlphaError } from "../../errors/AlephAlphaError.js"

/** What a redacted secret is replaced with (what `Redacted` shows). */
export const redactedMark = "<redacted>"

/** How deep a `cause` chain is followed. */
const maxDepth = 4

/**
 * Pieces of the secret this long are redacted too: what a cut leaves of it (a text kept up to
 * a length, the few characters the JSON parser quotes around a fault). Only in secrets of at
 * least `minFragmentSecret` characters (shorter ones are no real tokens), and only in texts of
 * at most `maxFragmentScan` characters (what is cut is short; longer texts are whole).
 */
const fragmentLength = 8
const minFragmentSecret = 16
const maxFragmentScan = 256 * 1024

/** Removes one secret from texts, errors and causes. */
export interface Redactor {
  /** The text with every occurrence of the secret (or of a piece of it) replaced. */
  readonly text: (text: string) => string
  /** Whether the text holds the secret or a piece of it. */
  readonly mentions: (text: string) => boolean
  /** The cause itself, or a plain copy without the secret when it (or its own cause) holds it. */
  readonly cause: (cause: unknown) => unknown
  /** The error itself, or a copy of it without the secret in its fields and its cause. */
  readonly error: <E extends AlephAlphaError>(error: E) => E
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

/**
 * A redactor for `secret`: it also catches the secret as JSON writes it inside a string and
 * as percent-encoding writes it, the forms an echo most likely takes.
 */
export const makeRedactor = (secret: string): Redactor => {
  const forms = [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])]
  // longest first, so a form that contains another is replaced whole
  const pattern = new RegExp(forms.sort((a, b) => b.length - a.length).map(escapeRegExp).join("|"), "g")
  const pieces = new Set<string>()
  if (secret.length >= minFragmentSecret) {
    for (const form of forms) {
      for (let i = 0; i + fragmentLength <= form.length; i++) pieces.add(form.slice(i, i + fragmentLength))
    }
  }
  const scanned = (value: string) => pieces.size > 0 && value.length <= maxFragmentScan

  /** The text with every run of overlapping pieces replaced. */
  const withoutPieces = (value: string): string => {
    let out = ""
    let last = 0
    let i = 0
    while (i + fragmentLength <= value.length) {
      if (!pieces.has(value.slice(i, i + fragmentLength))) {
        i++
        continue
      }
      let end = i + fragmentLength
      while (end < value.length && pieces.has(value.slice(end + 1 - fragmentLength, end + 1))) end++
      out += value.slice(last, i) + redactedMark
      last = i = end
    }
    return last === 0 ? value : out + value.slice(last)
  }

  const hasPiece = (value: string): boolean => {
    for (let i = 0; i + fragmentLength <= value.length; i++) {
      if (pieces.has(value.slice(i, i + fragmentLength))) return true
    }
    return false
  }

  const text = (value: string): string => {
    const whole = value.replace(pattern, redactedMark)
    return scanned(whole) ? withoutPieces(whole) : whole
  }
  // `search` ignores and keeps the global pattern's `lastIndex`
  const mentions = (value: string): boolean => value.search(pattern) !== -1 || (scanned(value) && hasPiece(value))

  const errorMentions = (error: Error, depth: number): boolean => {
    if (mentions(error.message) || mentions(error.stack ?? "")) return true
    for (const key of Object.keys(error)) {
      const value = (error as unknown as Record<string, unknown>)[key]
      if (typeof value === "string" && mentions(value)) return true
    }
    return depth < maxDepth && causeMentions(error.cause, depth + 1)
  }

  const causeMentions = (cause: unknown, depth: number): boolean =>
    cause instanceof Error ? errorMentions(cause, depth) : typeof cause === "string" && mentions(cause)

  const copyCause = (cause: unknown, depth: number): unknown => {
    if (typeof cause === "string") return text(cause)
    if (!(cause instanceof Error)) return cause
    if (!errorMentions(cause, depth)) return cause
    // a plain copy: the original may hold the secret in fields nobody thinks of (an HTTP
    // parser's `data`), so only the name, the message, a string `code` and the stack are kept
    const copy = new Error(text(cause.message))
    copy.name = cause.name
    const code = (cause as { readonly code?: unknown }).code
    if (typeof code === "string") Object.assign(copy, { code })
    copy.stack = text(cause.stack ?? `${cause.name}: ${cause.message}`)
    if (depth < maxDepth && cause.cause !== undefined) copy.cause = copyCause(cause.cause, depth + 1)
    return copy
  }

  const error = <E extends AlephAlphaError>(error: E): E => {
    const fields = error as unknown as Record<string, unknown>
    const message = typeof fields.message === "string" && Object.hasOwn(fields, "message") ? fields.message : ""
    const stringFields = Object.keys(fields).filter((key) => typeof fields[key] === "string")
    if (
      !mentions(message) && !stringFields.some((key) => mentions(fields[key] as string)) &&
      !causeMentions(error.cause, 0)
    ) {
      return error
    }
    const props: Record<string, unknown> = {}
    for (const key of Object.keys(fields)) {
      if (key === "_tag") continue
      const value = fields[key]
      props[key] = typeof value === "string" ? text(value) : value
    }
    if (message !== "") props.message = text(message)
    if (error.cause !== undefined) props.cause = copyCause(error.cause, 0)
    const Class = error.constructor as new(props: Record<string, unknown>) => E
    return new Class(props)
  }

  return { text, mentions, cause: (cause) => copyCause(cause, 0), error }
}
