import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import {
  Client,
  CustomGranularity,
  ExplanationRequest,
  ExplanationResponse,
  Image,
  ImagePromptItemExplanation,
  ImageScore,
  Prompt,
  TargetPromptItemExplanation,
  TargetScore,
  Text,
  TextPromptItemExplanation,
  TextScore,
  Tokens,
  TokenPromptItemExplanation,
  TokenScore,
  UnknownPromptItemExplanation
} from "../src/index.js"
import { AlephAlphaTest, FakeServer } from "../src/testing/index.js"

const model = "luminous-base"

/** A baseline JPEG header (SOI, APP0, SOF0 with the size, EOI): enough for `Image.dimensions()`. */
const jpegHeader = (width: number, height: number): Uint8Array =>
  new Uint8Array([
    0xff, 0xd8,
    0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
    0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x03,
    0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
    0xff, 0xd9
  ])

const bodies = Effect.flatMap(FakeServer.FakeServer, (server) => server.requests).pipe(
  Effect.map((requests) => requests.map((request) => request.body))
)

const sumOfAbsolutes = (explanation: { readonly items: ReadonlyArray<{ readonly scores: ReadonlyArray<unknown> }> }) =>
  explanation.items.flatMap((item) => item.scores).reduce<number>((sum, score) => sum + Math.abs((score as TokenScore).score), 0)

const customRequest = new ExplanationRequest({
  prompt: new Prompt([
    Text.fromText("I am a programmer###I am French###I don't like pizza###My favourite food is"),
    Tokens.fromTokenIds([4014, 36316, 5681, 387])
  ]),
  target: " pizza with cheese",
  promptGranularity: new CustomGranularity({ delimiter: "###" }),
  targetGranularity: "token"
})

describe("explain", () => {
  it.effect("sends only the fields that were set and decodes one explanation per target token", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.explain(customRequest, model)

      expect(yield* bodies).toEqual([{
        prompt: [
          {
            type: "text",
            data: "I am a programmer###I am French###I don't like pizza###My favourite food is",
            controls: []
          },
          { type: "token_ids", data: [4014, 36316, 5681, 387], controls: [] }
        ],
        target: " pizza with cheese",
        prompt_granularity: { type: "custom", delimiter: "###" },
        target_granularity: "token",
        model
      }])

      expect(response).toBeInstanceOf(ExplanationResponse)
      expect(response.modelVersion).toBe("2022-04")
      expect(response.explanations.map((explanation) => explanation.target)).toEqual([" pizza", " with", " cheese"])
      for (const explanation of response.explanations) {
        expect(explanation.items.map((item) => item.type)).toEqual(["text", "token_ids", "target"])
        const [text, tokens] = explanation.items as [TextPromptItemExplanation, TokenPromptItemExplanation]
        expect(text).toBeInstanceOf(TextPromptItemExplanation)
        // the custom delimiter is not part of any span (the same spans as the recording)
        expect(text.scores.map(({ length, start }) => [start, length])).toEqual([[0, 17], [20, 11], [34, 18], [55, 20]])
        for (const score of text.scores) {
          expect(score).toBeInstanceOf(TextScore)
          expect(Number.isFinite(score.score)).toBe(true)
          expect(score.text).toBeUndefined()
        }
        expect(tokens).toBeInstanceOf(TokenPromptItemExplanation)
        expect(tokens.scores).toHaveLength(4)
        for (const score of tokens.scores) {
          expect(score).toBeInstanceOf(TokenScore)
          expect(Number.isFinite(score.score)).toBe(true)
        }
        // the fake's scores of one explanation have absolute values summing to 1
        expect(sumOfAbsolutes(explanation)).toBeCloseTo(1, 10)
      }
      // the span sharing a word with the target matters most
      const pizza = response.explanations[0]!.items[0] as TextPromptItemExplanation
      const best = pizza.scores.reduce((a, b) => (b.score > a.score ? b : a))
      expect([best.start, best.length]).toEqual([34, 18])
      // the target spans preceding each token
      const targets = response.explanations.map((explanation) => explanation.items[2] as TargetPromptItemExplanation)
      expect(targets.map((target) => target.scores.map(({ length, start }) => [start, length]))).toEqual([
        [],
        [[1, 5]],
        [[1, 5], [7, 4]]
      ])
      for (const score of targets[2]!.scores) expect(score).toBeInstanceOf(TargetScore)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("withTextFromPrompt adds the text each text and target span covers", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = (yield* client.explain(customRequest, model)).withTextFromPrompt(customRequest)
      const [first, , last] = response.explanations
      const text = first!.items[0] as TextPromptItemExplanation
      expect(text.scores.map((score) => score.text)).toEqual([
        "I am a programmer",
        "I am French",
        "I don't like pizza",
        "My favourite food is"
      ])
      expect((last!.items[2] as TargetPromptItemExplanation).scores.map((score) => score.text)).toEqual(["pizza", "with"])
      // token scores are left alone
      expect(first!.items[1]).toBeInstanceOf(TokenPromptItemExplanation)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("withTextFromPrompt counts offsets in code points, as Python slices strings", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const request = new ExplanationRequest({
        prompt: Prompt.fromText("🙂 happy dogs. 🐱 cats sleep."),
        target: " dogs",
        promptGranularity: "sentence",
        normalize: true,
        postprocessing: "absolute",
        controlFactor: 0.2,
        controlLogAdditive: false,
        controlTokenOverlap: "complete",
        contextualControlThreshold: 0.5
      })
      const response = yield* client.explain(request, model)
      expect((yield* bodies)[0]).toEqual({
        prompt: [{ type: "text", data: "🙂 happy dogs. 🐱 cats sleep.", controls: [] }],
        target: " dogs",
        contextual_control_threshold: 0.5,
        control_token_overlap: "complete",
        postprocessing: "absolute",
        control_log_additive: false,
        prompt_granularity: { type: "sentence" },
        normalize: true,
        control_factor: 0.2,
        model
      })
      const text = response.explanations[0]!.items[0] as TextPromptItemExplanation
      expect(text.scores.map(({ length, start }) => [start, length])).toEqual([[0, 13], [14, 13]])
      expect(response.withTextFromPrompt(request).explanations[0]!.items[0]).toMatchObject({
        scores: [{ text: "🙂 happy dogs." }, { text: "🐱 cats sleep." }]
      })
      // normalize: the smallest score is 0 and the largest 1
      const scores = text.scores.map((score) => score.score)
      expect(Math.min(...scores)).toBe(0)
      expect(Math.max(...scores)).toBe(1)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("decodes image scores flat and withImagePromptItemsInPixels scales them to the image", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const image = yield* Image.fromBytes(jpegHeader(1200, 630))
      const prompt = new Prompt([image, Text.fromText("A picture of")])
      const request = new ExplanationRequest({ prompt, target: " a dog" })
      const response = yield* client.explain(request, model)

      const [sent] = (yield* bodies) as [{ prompt: ReadonlyArray<unknown> }]
      expect(sent.prompt[0]).toEqual({ type: "image", data: image.base64, controls: [] })
      expect(Object.keys(sent)).toEqual(["prompt", "target", "model"])

      expect(response.explanations).toHaveLength(1)
      const explanation = response.explanations[0]!
      expect(explanation.target).toBe(" a dog")
      expect(explanation.items.map((item) => item.type)).toEqual(["image", "text", "target"])
      const tiles = explanation.items[0] as ImagePromptItemExplanation
      expect(tiles).toBeInstanceOf(ImagePromptItemExplanation)
      // automatic granularity: 3×3 tiles, row by row
      expect(tiles.scores).toHaveLength(9)
      expect(tiles.scores[5]).toBeInstanceOf(ImageScore)
      expect(tiles.scores[5]).toMatchObject({ left: 2 / 3, top: 1 / 3, width: 1 / 3, height: 1 / 3 })

      const pixels = yield* response.withImagePromptItemsInPixels(prompt)
      const scaled = pixels.explanations[0]!.items[0] as ImagePromptItemExplanation
      expect(scaled.scores.map(({ height, left, top, width }) => [left, top, width, height])).toEqual([
        [0, 0, 400, 210], [400, 0, 400, 210], [800, 0, 400, 210],
        [0, 210, 400, 210], [400, 210, 400, 210], [800, 210, 400, 210],
        [0, 420, 400, 210], [400, 420, 400, 210], [800, 420, 400, 210]
      ])
      expect(scaled.scores.map((score) => score.score)).toEqual(tiles.scores.map((score) => score.score))
      // other items are untouched
      expect(pixels.explanations[0]!.items[1]).toBe(explanation.items[1])

      // a prompt whose item is not the image is a ValidationError
      const mismatch = yield* Effect.flip(response.withImagePromptItemsInPixels(Prompt.fromText("no image")))
      expect(mismatch._tag).toBe("ValidationError")
      expect(mismatch).toMatchObject({ path: "items.0" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("the granularity selects the image tile grid", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const image = yield* Image.fromBytes(jpegHeader(64, 64))
      const counts: Array<number> = []
      for (const promptGranularity of ["token", "word", "sentence", "paragraph"] as const) {
        const response = yield* client.explain(
          new ExplanationRequest({ prompt: Prompt.fromImage(image), target: " x", promptGranularity }),
          model
        )
        counts.push(response.explanations[0]!.items[0]!.scores.length)
      }
      expect(counts).toEqual([144, 36, 9, 1])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a recorded answer decodes, unknown item types are kept in place, and it encodes back to the wire", () =>
    Effect.gen(function*() {
      const wire = {
        model_version: "2022-04",
        explanations: [{
          target: " pizza with cheese",
          items: [
            {
              type: "image",
              scores: [{ rect: { top: 0.0, left: 0.33333334, width: 0.33333334, height: 0.33333334 }, score: -0.015625 }]
            },
            { type: "text", scores: [{ start: 0, length: 29, score: 2.015625 }] },
            { type: "heatmap", scores: [[1, 2]], resolution: 2 },
            { type: "token_ids", scores: [-0.90625, 0.46875] },
            { type: "target", scores: [] }
          ]
        }],
        unknown_field: true
      }
      const response = yield* Schema.decodeUnknown(ExplanationResponse)(wire)
      const [image, text, unknown, tokens, target] = response.explanations[0]!.items
      expect(image).toEqual(
        new ImagePromptItemExplanation({
          scores: [new ImageScore({ left: 0.33333334, top: 0, width: 0.33333334, height: 0.33333334, score: -0.015625 })]
        })
      )
      expect(text).toEqual(new TextPromptItemExplanation({ scores: [new TextScore({ start: 0, length: 29, score: 2.015625 })] }))
      expect(unknown).toBeInstanceOf(UnknownPromptItemExplanation)
      expect(unknown).toMatchObject({
        type: "unknown",
        wireType: "heatmap",
        scores: [[1, 2]],
        raw: wire.explanations[0]!.items[2]
      })
      expect((tokens as TokenPromptItemExplanation).scores).toEqual([new TokenScore({ score: -0.90625 }), new TokenScore({ score: 0.46875 })])
      expect(target).toEqual(new TargetPromptItemExplanation({ scores: [] }))

      const { unknown_field: _, ...known } = wire
      expect(yield* Schema.encode(ExplanationResponse)(response)).toEqual(known)
    }))
})

describe("explain: bad input", () => {
  it.effect("an empty custom delimiter or a negative control factor is a ValidationError, and nothing is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const prompt = Prompt.fromText("text")
      const delimiter = yield* Effect.flip(CustomGranularity.make({ delimiter: "" }))
      expect(delimiter).toMatchObject({ _tag: "ValidationError", path: "delimiter" })
      const factor = yield* Effect.flip(ExplanationRequest.make({ prompt, target: "x", controlFactor: -1 }))
      expect(factor).toMatchObject({ _tag: "ValidationError", path: "controlFactor" })
      // built with validation off, the client still refuses to send it
      const unchecked = new ExplanationRequest({ prompt, target: "x", controlFactor: -1 }, true)
      const error = yield* Effect.flip(client.explain(unchecked, model))
      expect(error._tag).toBe("ValidationError")
      expect(error).toMatchObject({ subject: "ExplanationRequest" })
      expect(yield* bodies).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("an unknown model is a NotFoundError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const error = yield* Effect.flip(client.explain(customRequest, "no-such-model"))
      expect(error).toMatchObject({ _tag: "NotFoundError", status: 404, code: "UNKNOWN_MODEL" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})
