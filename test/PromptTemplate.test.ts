import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Image, Prompt, Text, Tokens, ValidationError } from "../src/index.js"
import { PromptTemplate } from "../src/template/index.js"

const image = new Image({ base64: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC" })
const tokens = Tokens.fromTokenIds([49222, 2998])
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("PromptTemplate", () => {
  // First in the file, so that `new` has to load liquidjs synchronously itself.
  it("parses synchronously with new (loading liquidjs itself) and throws a ValidationError on a syntax error", () => {
    const template = new PromptTemplate("{{ a }}{{ b }}")
    expect(template.source).toBe("{{ a }}{{ b }}")
    expect(() => new PromptTemplate("{% for %}")).toThrow(ValidationError)
  })

  it.effect("renders text with an image and a token placeholder to [Text, Image, Text, Tokens]", () =>
    Effect.gen(function*() {
      const template = yield* PromptTemplate.make("Describe {{ image }} in one word:{{ tokens }}")
      const prompt = yield* template.toPrompt({
        image: template.placeholder(image),
        tokens: template.placeholder(tokens)
      })
      expect(prompt).toBeInstanceOf(Prompt)
      expect(prompt.items).toEqual([
        new Text({ text: "Describe " }),
        image,
        new Text({ text: " in one word:" }),
        tokens
      ])
      expect(prompt.items[1]).toBe(image)
      expect(prompt.items[3]).toBe(tokens)
    }))

  it("returns a canonical UUID v4 as the placeholder", () => {
    const template = new PromptTemplate("{{ x }}")
    expect(template.placeholder(image)).toMatch(uuid)
  })

  it.effect("runs loops and filters", () =>
    Effect.gen(function*() {
      const template = yield* PromptTemplate.make(
        "{%- for name in names -%}{{ name | upcase }}{% unless forloop.last %}, {% endunless %}{%- endfor %} " +
          "({{ names | size }}) {{ missing | default: 'none' }}"
      )
      const prompt = yield* template.toPrompt({ names: ["alice", "bob"] })
      expect(prompt.items).toEqual([new Text({ text: "ALICE, BOB (2) none" })])
    }))

  it.effect("repeats an item that a loop renders several times", () =>
    Effect.gen(function*() {
      const template = yield* PromptTemplate.make("{% for i in (1..3) %}{{ img }}#{{ i }} {% endfor %}")
      const prompt = yield* template.toPrompt({ img: template.placeholder(image) })
      expect(prompt.items).toEqual([image, new Text({ text: "#1 " }), image, new Text({ text: "#2 " }), image, new Text({ text: "#3 " })])
    }))

  it.effect("accepts images, tokens and prompts directly as variables, also inside lists", () =>
    Effect.gen(function*() {
      const template = yield* PromptTemplate.make("{% for picture in pictures %}[{{ picture }}]{% endfor %}{{ tail }}")
      const prompt = yield* template.toPrompt({ pictures: [image, tokens], tail: Prompt.fromText("end") })
      expect(prompt.items).toEqual([
        new Text({ text: "[" }),
        image,
        new Text({ text: "][" }),
        tokens,
        new Text({ text: "]end" })
      ])
    }))

  it.effect("embeds a whole prompt, spacing consecutive texts and keeping its items", () =>
    Effect.gen(function*() {
      const template = yield* PromptTemplate.make("Q: {{ question }}\nA:")
      const embedded = template.embedPrompt(
        new Prompt([new Text({ text: "What" }), new Text({ text: "is" }), new Text({ text: "" }), image, new Text({ text: " this?" })])
      )
      expect(embedded.startsWith("What is")).toBe(true)
      const prompt = yield* template.toPrompt({ question: embedded })
      expect(prompt.items).toEqual([new Text({ text: "Q: What is" }), image, new Text({ text: " this?\nA:" })])
    }))

  it.effect("yields one text item without placeholders, and an empty prompt for empty output", () =>
    Effect.gen(function*() {
      const plain = yield* PromptTemplate.make("Hello {{ name }}!")
      expect((yield* plain.toPrompt({ name: "World" })).items).toEqual([new Text({ text: "Hello World!" })])
      const empty = yield* PromptTemplate.make("{% if false %}never{% endif %}")
      expect((yield* empty.toPrompt()).items).toEqual([])
    }))

  it.effect("clears its placeholders after a render, as the Python client does", () =>
    Effect.gen(function*() {
      const template = yield* PromptTemplate.make("{{ image }}")
      const id = template.placeholder(image)
      expect((yield* template.toPrompt({ image: id })).items).toEqual([image])
      expect((yield* template.toPrompt({ image: id })).items).toEqual([new Text({ text: id })])
    }))

  it.effect("leaves UUIDs that are not its placeholders as text", () =>
    Effect.gen(function*() {
      const template = yield* PromptTemplate.make("id {{ id }}")
      const id = "123e4567-e89b-42d3-a456-426614174000"
      expect((yield* template.toPrompt({ id })).items).toEqual([new Text({ text: `id ${id}` })])
    }))

  it.effect("reports a broken template as a ValidationError with the position", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(PromptTemplate.make("Hello\n  {% if x %}unclosed"))
      expect(error).toBeInstanceOf(ValidationError)
      expect(error.subject).toBe("PromptTemplate")
      expect(error.message).toMatch(/line:2, col:3/)
      const unknownTag = yield* Effect.flip(PromptTemplate.make("{% frobnicate %}"))
      expect(unknownTag.message).toMatch(/frobnicate.*line:1, col:1/)
    }))

  it.effect("reports an unknown filter as a ValidationError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.flatMap(PromptTemplate.make("{{ x | no_such_filter }}"), (template) => template.toPrompt({ x: 1 }))
      )
      expect(error).toBeInstanceOf(ValidationError)
      expect(error.message).toMatch(/no_such_filter/)
    }))

  it.effect("reports a render error as a ValidationError in the error channel", () =>
    Effect.gen(function*() {
      const template = yield* PromptTemplate.make("text {% include 'partial' %}")
      const error = yield* Effect.flip(template.toPrompt())
      expect(error).toBeInstanceOf(ValidationError)
      expect(error.message).toMatch(/line:1, col:6/)
    }))

  it("refuses a placeholder for a text item", () => {
    const template = new PromptTemplate("{{ a }}")
    expect(() => template.placeholder(new Text({ text: "no" }) as unknown as Image)).toThrow(TypeError)
  })
})
