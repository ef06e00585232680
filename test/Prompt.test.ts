import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import fc from "fast-check"
import {
  ControlTokenOverlap,
  Cropping,
  Image,
  ImageControl,
  ImageItem,
  Prompt,
  type PromptItem,
  PromptItem as PromptItemSchema,
  SafeClass,
  Text,
  TextControl,
  TokenControl,
  Tokens,
  ValidationError
} from "../src/index.js"

/** The exact JSON text `Schema.encode(Prompt)` produces (key order included). */
const wire = (prompt: Prompt): string => JSON.stringify(Schema.encodeSync(Prompt)(prompt))
const json = (value: unknown): string => JSON.stringify(value)

const jpegBase64 = "/9j/4AAQSkZJRgABAQAAAQABAAD"

describe("Prompt encoding (api-reference §2.5)", () => {
  it("encodes new Prompt(text) as one text item with empty controls", () => {
    expect(wire(new Prompt("txt"))).toBe(json([{ type: "text", data: "txt", controls: [] }]))
  })

  it("encodes Prompt.fromText(text) as one text item with empty controls", () => {
    expect(wire(Prompt.fromText("txt"))).toBe(json([{ type: "text", data: "txt", controls: [] }]))
  })

  it("encodes Prompt.fromText with a TextControl as start, length, factor", () => {
    const prompt = Prompt.fromText("txt", [new TextControl({ start: 3, length: 5, factor: 1.5 })])
    expect(wire(prompt)).toBe(
      json([{ type: "text", data: "txt", controls: [{ start: 3, length: 5, factor: 1.5 }] }])
    )
  })

  it("encodes a TextControl's tokenOverlap as token_overlap after the factor", () => {
    const prompt = Prompt.fromText("Hello, World!", [
      new TextControl({ start: 1, length: 5, factor: 0.5 }),
      new TextControl({ start: 1, length: 5, factor: 0.5, tokenOverlap: "complete" })
    ])
    expect(wire(prompt)).toBe(json([{
      type: "text",
      data: "Hello, World!",
      controls: [
        { start: 1, length: 5, factor: 0.5 },
        { start: 1, length: 5, factor: 0.5, token_overlap: "complete" }
      ]
    }]))
  })

  it("encodes Prompt.fromImage with a crop and a control exactly as §2.3 shows", () => {
    const image = new Image({
      base64: jpegBase64,
      cropping: new Cropping({ x: 300, y: 0, size: 600 }),
      controls: [new ImageControl({ left: 0.5, top: 0.0, width: 0.25, height: 1.0, factor: 0.0 })]
    })
    expect(wire(Prompt.fromImage(image))).toBe(json([{
      type: "image",
      data: jpegBase64,
      x: 300,
      y: 0,
      size: 600,
      controls: [{ rect: { left: 0.5, top: 0.0, width: 0.25, height: 1.0 }, factor: 0.0 }]
    }]))
  })

  it("encodes an image without a crop without x, y and size but with empty controls", () => {
    expect(wire(Prompt.fromImage(new Image({ base64: jpegBase64 })))).toBe(
      json([{ type: "image", data: jpegBase64, controls: [] }])
    )
  })

  it("encodes an ImageControl's tokenOverlap as token_overlap beside rect and factor", () => {
    const image = new Image({
      base64: jpegBase64,
      controls: [new ImageControl({ left: 0, top: 0.1, width: 0.2, height: 0.3, factor: 2, tokenOverlap: "partial" })]
    })
    expect(wire(Prompt.fromImage(image))).toBe(json([{
      type: "image",
      data: jpegBase64,
      controls: [{ rect: { left: 0, top: 0.1, width: 0.2, height: 0.3 }, factor: 2, token_overlap: "partial" }]
    }]))
  })

  it("encodes Prompt.fromTokens as a token_ids item with empty controls", () => {
    expect(wire(Prompt.fromTokens([1, 2, 3]))).toBe(json([{ type: "token_ids", data: [1, 2, 3], controls: [] }]))
  })

  it("encodes Prompt.fromTokens with a TokenControl as index and factor", () => {
    const prompt = Prompt.fromTokens([1, 2], [new TokenControl({ index: 0, factor: 2.0 })])
    expect(wire(prompt)).toBe(json([{ type: "token_ids", data: [1, 2], controls: [{ index: 0, factor: 2.0 }] }]))
  })

  it("encodes a mixed prompt item by item, in order", () => {
    const prompt = new Prompt([
      Text.fromText("A picture of"),
      new Image({ base64: jpegBase64 }),
      Tokens.fromTokenIds([49222, 2998])
    ])
    expect(wire(prompt)).toBe(json([
      { type: "text", data: "A picture of", controls: [] },
      { type: "image", data: jpegBase64, controls: [] },
      { type: "token_ids", data: [49222, 2998], controls: [] }
    ]))
  })

  it("gives the wire JSON from JSON.stringify of a prompt", () => {
    expect(JSON.stringify(Prompt.fromText("hi"))).toBe(json([{ type: "text", data: "hi", controls: [] }]))
  })

  it("works as a field of a request schema", () => {
    const Request = Schema.Struct({ prompt: Prompt, maximum_tokens: Schema.Int })
    const encoded = Schema.encodeSync(Request)({ prompt: Prompt.fromText("An apple a day"), maximum_tokens: 8 })
    expect(json(encoded)).toBe(
      json({ prompt: [{ type: "text", data: "An apple a day", controls: [] }], maximum_tokens: 8 })
    )
    const decoded = Schema.decodeUnknownSync(Request)(encoded)
    expect(decoded.prompt).toBeInstanceOf(Prompt)
  })

  it.effect("works as a field of a SafeClass request, arrays and optional fields included", () =>
    Effect.gen(function*() {
      class Request extends SafeClass<Request>("test/Request")({
        prompt: Prompt,
        prompts: Schema.Array(Prompt),
        extra: Schema.optional(Prompt.pipe(Schema.annotations({ description: "an optional prompt" })))
      }) {}
      const request = yield* Request.make({ prompt: Prompt.fromText("a"), prompts: [Prompt.fromTokens([1])] })
      expect(json(Schema.encodeSync(Request)(request))).toBe(json({
        prompt: [{ type: "text", data: "a", controls: [] }],
        prompts: [[{ type: "token_ids", data: [1], controls: [] }]]
      }))
      const error = yield* Effect.flip(Request.make({ prompt: "a" as unknown as Prompt, prompts: [] }))
      expect(error).toBeInstanceOf(ValidationError)
      expect(error.path).toBe("prompt")
    }))
})

describe("Prompt decoding", () => {
  it("decodes the optimized_prompt items of a response (§2.7)", () => {
    const prompt = Schema.decodeUnknownSync(Prompt)([
      {
        type: "image",
        data: "iVBORw0KGgo",
        x: 300,
        y: 0,
        size: 600,
        controls: [{ rect: { top: 0.0, left: 0.5, width: 0.25, height: 1.0 }, factor: 0.0, token_overlap: "partial" }]
      },
      { type: "image", data: "iVBORw0KGgo", x: null, y: null, size: null },
      { type: "text", data: "A picture of", add_prefix_space: true },
      { type: "token_ids", data: [1, 2] }
    ])
    expect(prompt.items).toEqual([
      new Image({
        base64: "iVBORw0KGgo",
        cropping: new Cropping({ x: 300, y: 0, size: 600 }),
        controls: [new ImageControl({ left: 0.5, top: 0, width: 0.25, height: 1, factor: 0, tokenOverlap: "partial" })]
      }),
      new Image({ base64: "iVBORw0KGgo" }),
      new Text({ text: "A picture of" }),
      new Tokens({ tokens: [1, 2] })
    ])
  })

  it("skips item types it does not know", () => {
    const prompt = Schema.decodeUnknownSync(Prompt)([
      { type: "audio", data: "…" },
      { type: "text", data: "kept" }
    ])
    expect(prompt.items).toEqual([new Text({ text: "kept" })])
  })

  it("decodes a bare string as one text item without controls", () => {
    const prompt = Schema.decodeUnknownSync(Prompt)("An apple a day")
    expect(prompt.items).toEqual([new Text({ text: "An apple a day", controls: [] })])
    expect(wire(prompt)).toBe(json([{ type: "text", data: "An apple a day", controls: [] }]))
  })

  it("decodes the legacy raw items without controls (§2.5 last row)", () => {
    const prompt = Schema.decodeUnknownSync(Prompt)([
      { type: "text", data: "raw str" },
      { type: "token_ids", data: [1, 2, 3] }
    ])
    expect(prompt.items).toEqual([new Text({ text: "raw str" }), new Tokens({ tokens: [1, 2, 3] })])
  })

  it("rejects a crop with only some of x, y and size", () => {
    const result = Schema.decodeUnknownEither(Prompt)([{ type: "image", data: "x", x: 1 }])
    expect(Either.isLeft(result)).toBe(true)
  })

  it.effect("reports an invalid wire item as a ValidationError naming its path", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Prompt.fromJson([{ type: "text", data: "ok" }, { type: "token_ids", data: [1, -2] }]))
      expect(error).toBeInstanceOf(ValidationError)
      expect(error.path).toBe("1.data.1")
    }))
})

describe("Prompt validation", () => {
  it.effect("rejects a fractional TextControl start with a ValidationError naming the field", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(TextControl.make({ start: 1.5, length: 2, factor: 1 }))
      expect(error).toBeInstanceOf(ValidationError)
      expect(error.path).toBe("start")
      expect(error.message).toContain("start")
    }))

  it.effect("rejects a non-finite factor", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(TokenControl.make({ index: 0, factor: Number.NaN }))
      expect(error.path).toBe("factor")
      const infinite = yield* Effect.flip(TextControl.make({ start: 0, length: 1, factor: Infinity }))
      expect(infinite.path).toBe("factor")
    }))

  it.effect("rejects rect fractions outside [0, 1]", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ImageControl.make({ left: 0, top: 1.5, width: 0.1, height: 0.1, factor: 1 }))
      expect(error.path).toBe("top")
      const negative = yield* Effect.flip(ImageControl.make({ left: -0.1, top: 0, width: 0.1, height: 0.1, factor: 1 }))
      expect(negative.path).toBe("left")
    }))

  it.effect("rejects a crop of size zero and negative corners", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(Cropping.make({ x: 0, y: 0, size: 0 }))).path).toBe("size")
      expect((yield* Effect.flip(Cropping.make({ x: -1, y: 0, size: 10 }))).path).toBe("x")
    }))

  it.effect("rejects negative or fractional token ids", () =>
    Effect.gen(function*() {
      expect((yield* Effect.flip(Tokens.make({ tokens: [1, -1] }))).path).toBe("tokens.1")
      expect((yield* Effect.flip(Tokens.make({ tokens: [0.5] }))).path).toBe("tokens.0")
    }))

  it.effect("rejects an unknown token overlap", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        TextControl.make({ start: 0, length: 1, factor: 1, tokenOverlap: "most" as ControlTokenOverlap })
      )
      expect(error.path).toBe("tokenOverlap")
    }))

  it("throws a ParseError from new with invalid fields", () => {
    expect(() => new TokenControl({ index: -1, factor: 1 })).toThrow(/index/)
    expect(() => Prompt.fromTokens([-1])).toThrow()
  })

  it.effect("rejects a prompt element that is not an item", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Prompt.make([Text.fromText("a"), 42 as never]))
      expect(error).toBeInstanceOf(ValidationError)
      expect(error.path).toBe("1")
    }))

  it("refuses to encode an item that was built with validation switched off", () => {
    const Request = Schema.Struct({ prompt: Prompt })
    const result = Schema.encodeEither(Request)({ prompt: new Prompt([new Tokens({ tokens: [-1] }, true)]) })
    expect(Either.isLeft(result)).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// property: encode → JSON → decode gives back an equal prompt
// ---------------------------------------------------------------------------------------------

/** Finite doubles without -0 (JSON has no negative zero). */
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n))
const fraction = fc.double({ min: 0, max: 1, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n))
const nat = fc.nat({ max: 1_000_000 })
const overlap = fc.option(fc.constantFrom<ControlTokenOverlap>("partial", "complete"), { nil: undefined })

const textControl = fc.record({ start: nat, length: nat, factor: finite, tokenOverlap: overlap }).map(
  ({ tokenOverlap, ...rest }) => new TextControl({ ...rest, ...(tokenOverlap === undefined ? {} : { tokenOverlap }) })
)
const imageControl = fc.record({
  left: fraction,
  top: fraction,
  width: fraction,
  height: fraction,
  factor: finite,
  tokenOverlap: overlap
}).map(({ tokenOverlap, ...rest }) =>
  new ImageControl({ ...rest, ...(tokenOverlap === undefined ? {} : { tokenOverlap }) })
)
const tokenControl = fc.record({ index: nat, factor: finite }).map((fields) => new TokenControl(fields))
const cropping = fc.record({ x: nat, y: nat, size: fc.integer({ min: 1, max: 100_000 }) }).map((fields) =>
  new Cropping(fields)
)

const item: fc.Arbitrary<PromptItem> = fc.oneof(
  fc.record({ text: fc.string(), controls: fc.array(textControl, { maxLength: 3 }) }).map((fields) => new Text(fields)),
  fc.record({
    base64: fc.base64String(),
    cropping: fc.option(cropping, { nil: undefined }),
    controls: fc.array(imageControl, { maxLength: 3 })
  }).map(({ cropping, ...rest }) => new Image({ ...rest, ...(cropping === undefined ? {} : { cropping }) })),
  fc.record({ tokens: fc.array(nat), controls: fc.array(tokenControl, { maxLength: 3 }) }).map((fields) =>
    new Tokens(fields)
  )
)

const prompt = fc.array(item, { maxLength: 8 }).map((items) => new Prompt(items))

describe("Prompt round trip", () => {
  it("decodes any encoded prompt of valid items back to an equal prompt, through JSON text", () => {
    fc.assert(
      fc.property(prompt, (original) => {
        const text = JSON.stringify(Schema.encodeSync(Prompt)(original))
        const decoded = Schema.decodeUnknownSync(Prompt)(JSON.parse(text))
        expect(decoded).toEqual(original)
        expect(JSON.stringify(Schema.encodeSync(Prompt)(decoded))).toBe(text)
      }),
      { numRuns: 300 }
    )
  })

  it("round-trips every item through the PromptItem schema", () => {
    fc.assert(
      fc.property(item, (original) => {
        const decoded = Schema.decodeUnknownSync(PromptItemSchema)(Schema.encodeSync(PromptItemSchema)(original))
        expect(decoded).toEqual(original)
      })
    )
  })

  it("round-trips prompts from the schema's own arbitrary", () => {
    const arbitrary = Arbitrary.make(Prompt)
    fc.assert(
      fc.property(arbitrary, (original) => {
        expect(original).toBeInstanceOf(Prompt)
        const decoded = Schema.decodeUnknownSync(Prompt)(Schema.encodeSync(Prompt)(original))
        expect(decoded).toEqual(original)
      }),
      { numRuns: 50 }
    )
  })

  it("encodes an Image through ImageItem to the wire form", () => {
    const image = new Image({ base64: "AAAA", cropping: new Cropping({ x: 1, y: 2, size: 3 }) })
    expect(json(Schema.encodeSync(ImageItem)(image))).toBe(
      json({ type: "image", data: "AAAA", x: 1, y: 2, size: 3, controls: [] })
    )
  })
})

// ---------------------------------------------------------------------------------------------
// property: plain text prompts are written by hand, exactly as the item schemas write them
// ---------------------------------------------------------------------------------------------

/** Text items as `new Text(props, true)` lets untyped code build them: any field may be wrong. */
const looseText = fc.record({
  type: fc.oneof(fc.constant("text"), fc.constant("token_ids"), fc.constant(undefined)),
  text: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined), fc.constant(null)),
  controls: fc.oneof(
    fc.constant([]),
    fc.array(textControl, { maxLength: 2 }),
    fc.constant(undefined),
    fc.constant("none"),
    fc.constant([{ start: -1, length: 1, factor: 1 }])
  )
}, { requiredKeys: [] }).map((props) => new Text(props as never, true))

const plainText = fc.string().map((text) => Text.fromText(text))

describe("Prompt encoding of plain text", () => {
  it("gives the same wire JSON or the same rejection as encoding every item through PromptItem", () => {
    const throughItems = Schema.encodeEither(Schema.Array(PromptItemSchema))
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 4, arbitrary: plainText }, { weight: 1, arbitrary: looseText }, { weight: 1, arbitrary: item }), {
          maxLength: 6
        }),
        (items) => {
          const prompt = new Prompt(items, true)
          const expected = throughItems(prompt.items)
          const actual = Schema.encodeEither(Prompt)(prompt)
          expect(Either.isRight(actual)).toBe(Either.isRight(expected))
          if (Either.isRight(actual) && Either.isRight(expected)) expect(json(actual.right)).toBe(json(expected.right))
        }
      ),
      { numRuns: 2_000 }
    )
  })
})
