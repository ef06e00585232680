import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { type Piece, splitThinking, ThinkingSplitter } from "../../src/ai/internal/thinking.js"

const run = (deltas: ReadonlyArray<string>): { reasoning: string | undefined; text: string } => {
  const splitter = new ThinkingSplitter()
  const pieces: Array<Piece> = []
  for (const delta of deltas) pieces.push(...splitter.push(delta))
  pieces.push(...splitter.end())
  let reasoning: string | undefined = undefined
  let text = ""
  let seenText = false
  for (const piece of pieces) {
    expect(piece.text).not.toBe("")
    if (piece.kind === "reasoning") {
      // reasoning never follows the reply
      expect(seenText).toBe(false)
      reasoning = (reasoning ?? "") + piece.text
    } else {
      seenText = true
      text += piece.text
    }
  }
  return { reasoning, text }
}

const cutAt = (content: string, cuts: ReadonlyArray<number>): Array<string> => {
  const points = [...new Set(cuts.map((cut) => cut % (content.length + 1)))].sort((a, b) => a - b)
  const out: Array<string> = []
  let from = 0
  for (const point of points) {
    out.push(content.slice(from, point))
    from = point
  }
  out.push(content.slice(from))
  return out
}

describe("thinking", () => {
  it("a leading <think> block is reasoning; whitespace before the reply is dropped", () => {
    expect(splitThinking("<think>hm, sums</think>\n\n42")).toEqual({ reasoning: "hm, sums", text: "42" })
    expect(splitThinking("  \n<think>a</think>b")).toEqual({ reasoning: "a", text: "b" })
    expect(splitThinking("<think>never closed")).toEqual({ reasoning: "never closed", text: "" })
  })

  it("content without a leading <think> is all text, unchanged", () => {
    expect(splitThinking("plain answer")).toEqual({ reasoning: undefined, text: "plain answer" })
    expect(splitThinking("  x <think>y</think>")).toEqual({ reasoning: undefined, text: "  x <think>y</think>" })
    expect(splitThinking("<thin")).toEqual({ reasoning: undefined, text: "<thin" })
    expect(splitThinking("")).toEqual({ reasoning: undefined, text: "" })
  })

  it("deltas cut anywhere, even inside the tags, give what the whole content gives", () => {
    const contents = fc.oneof(
      fc.constantFrom(
        "<think>The user greets me.\nI greet back.</think>\n\nHello!",
        "\n<think></think>answer",
        "<think>a < b and </thin k> is no tag</think> ok",
        "no thinking here <think>",
        "<think>unterminated </th"
      ),
      fc.tuple(fc.constantFrom("", " ", "<think>"), fc.string(), fc.constantFrom("", "</think>", "</think>\n\n"), fc.string())
        .map((parts) => parts.join(""))
    )
    fc.assert(
      fc.property(contents, fc.array(fc.nat(), { maxLength: 6 }), (content, cuts) => {
        expect(run(cutAt(content, cuts))).toEqual(splitThinking(content))
      }),
      { numRuns: 500 }
    )
  })
})
