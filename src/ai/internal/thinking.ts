/**
 * Reasoning models answer with a leading `<think>…</think>` block before their reply. The
 * language model reports that block as reasoning and the rest as text, the same way whether
 * the answer arrives whole or in deltas split anywhere (even inside a tag).
 */

/** A run of reasoning or of reply text. */
export interface Piece {
  readonly kind: "reasoning" | "text"
  readonly text: string
}

const OPEN = "<think>"
const CLOSE = "</think>"

/** The length of the longest end of `text` that is a proper beginning of `tag`. */
const partialTagAtEnd = (text: string, tag: string): number => {
  for (let length = Math.min(tag.length - 1, text.length); length > 0; length--) {
    if (text.endsWith(tag.slice(0, length))) return length
  }
  return 0
}

/**
 * Splits content deltas into reasoning and text. Only a `<think>` at the very start (after
 * whitespace) opens reasoning; whitespace between `</think>` and the reply is dropped. An
 * unclosed block is all reasoning.
 */
export class ThinkingSplitter {
  private mode: "start" | "reasoning" | "after" | "text" = "start"
  private buffer = ""

  push(delta: string): Array<Piece> {
    const out: Array<Piece> = []
    this.feed(delta, out)
    return out
  }

  /** The end of the content: whatever was held back. */
  end(): Array<Piece> {
    const out: Array<Piece> = []
    const rest = this.buffer
    this.buffer = ""
    if (rest !== "") {
      switch (this.mode) {
        case "start":
        case "text":
          out.push({ kind: "text", text: rest })
          break
        case "reasoning":
          out.push({ kind: "reasoning", text: rest })
          break
        case "after":
          // only whitespace is held back here
          break
      }
    }
    this.mode = "text"
    return out
  }

  private feed(delta: string, out: Array<Piece>): void {
    switch (this.mode) {
      case "text": {
        if (delta !== "") out.push({ kind: "text", text: delta })
        return
      }
      case "start": {
        this.buffer += delta
        const trimmed = this.buffer.trimStart()
        if (trimmed === "" || (trimmed.length < OPEN.length && OPEN.startsWith(trimmed))) return
        if (trimmed.startsWith(OPEN)) {
          this.mode = "reasoning"
          this.buffer = ""
          this.feed(trimmed.slice(OPEN.length), out)
        } else {
          this.mode = "text"
          const text = this.buffer
          this.buffer = ""
          out.push({ kind: "text", text })
        }
        return
      }
      case "reasoning": {
        this.buffer += delta
        const close = this.buffer.indexOf(CLOSE)
        if (close >= 0) {
          const reasoning = this.buffer.slice(0, close)
          const rest = this.buffer.slice(close + CLOSE.length)
          this.buffer = ""
          if (reasoning !== "") out.push({ kind: "reasoning", text: reasoning })
          this.mode = "after"
          this.feed(rest, out)
        } else {
          const hold = partialTagAtEnd(this.buffer, CLOSE)
          const ready = this.buffer.slice(0, this.buffer.length - hold)
          this.buffer = this.buffer.slice(this.buffer.length - hold)
          if (ready !== "") out.push({ kind: "reasoning", text: ready })
        }
        return
      }
      case "after": {
        const text = (this.buffer + delta).trimStart()
        if (text === "") {
          this.buffer += delta
          return
        }
        this.buffer = ""
        this.mode = "text"
        out.push({ kind: "text", text })
        return
      }
    }
  }
}

/** Splits a whole answer: its reasoning (if it opened with a `<think>` block) and its reply. */
export const splitThinking = (content: string): { readonly reasoning: string | undefined; readonly text: string } => {
  const splitter = new ThinkingSplitter()
  const pieces = [...splitter.push(content), ...splitter.end()]
  let reasoning: string | undefined = undefined
  let text = ""
  for (const piece of pieces) {
    if (piece.kind === "reasoning") reasoning = (reasoning ?? "") + piece.text
    else text += piece.text
  }
  return { reasoning, text }
}
