/**
 * `POST explain` (api-reference §4.9): which parts of the prompt made the model produce a
 * target continuation (AtMan).
 *
 * The response is shaped as the Python client shapes it: every score is an object with a
 * `score` (token-id scores too, which are plain numbers on the wire) and image scores are flat
 * (`left`, `top`, `width`, `height`, `score`; the wire nests them in `rect`).
 * `withTextFromPrompt(request)` adds the text each span covers and
 * `withImagePromptItemsInPixels(prompt)` turns image rectangles into pixels.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { type MediaError, ValidationError } from "../errors/AlephAlphaError.js"
import type { ImageDimensions } from "../prompt/ImageSource.js"
import { ControlTokenOverlap, Image, Prompt, Text } from "./Prompt.js"
import { type InputOf, SafeClass } from "./SafeClass.js"
import { fieldsOf, instanceOf } from "./internal/plainInput.js"
import { promptInput } from "./internal/promptInput.js"

/** An optional field sent only when set (the Python client sends only what was set here). */
const optional = <S extends Schema.Schema.All, K extends string>(schema: S, key: K) =>
  Schema.optionalWith(schema, { exact: true }).pipe(Schema.fromKey(key))

// ---------------------------------------------------------------------------------------------
// request
// ---------------------------------------------------------------------------------------------

/**
 * Split the text items at every occurrence of `delimiter` (which is not part of any scored
 * span); image items are scored as 3×3 tiles. Wire: `{"type": "custom", "delimiter"}`.
 */
export class CustomGranularity extends SafeClass<CustomGranularity>("aleph-alpha-client/CustomGranularity")({
  type: Schema.tag("custom"),
  /** A non-empty string, e.g. `"###"`. */
  delimiter: Schema.NonEmptyString
}) {}

const NamedGranularity = Schema.Literal("token", "word", "sentence", "paragraph")

const NamedGranularityWire = Schema.transform(Schema.Struct({ type: NamedGranularity }), NamedGranularity, {
  strict: true,
  decode: (wire) => wire.type,
  encode: (type) => ({ type })
})

/**
 * How the prompt is cut into the segments that get a score: `"token"`, `"word"`, `"sentence"`,
 * `"paragraph"` or a {@link CustomGranularity}. For image items it selects the tile grid
 * (token 12×12, word 6×6, sentence 3×3, paragraph 1×1). Wire: `{"type": "word"}`,
 * `{"type": "custom", "delimiter": "###"}`.
 */
export const PromptGranularity: Schema.Schema<
  PromptGranularity,
  { readonly type: typeof NamedGranularity.Type } | typeof CustomGranularity.Encoded
> = Schema.Union(NamedGranularityWire, CustomGranularity).annotations({ identifier: "PromptGranularity" })
export type PromptGranularity = typeof NamedGranularity.Type | CustomGranularity

/** `"complete"`: one explanation for the whole target; `"token"`: one per target token. */
export const TargetGranularity = Schema.Literal("complete", "token")
export type TargetGranularity = typeof TargetGranularity.Type

/** Applied to every score: `"none"`, `"absolute"` (|score|) or `"square"` (score²). */
export const ExplanationPostprocessing = Schema.Literal("none", "absolute", "square")
export type ExplanationPostprocessing = typeof ExplanationPostprocessing.Type

/**
 * An explanation request. Only `prompt`, `target` and the fields that were set are sent, as
 * the Python client does; the defaults named below are the server's.
 */
export class ExplanationRequest extends SafeClass<
  ExplanationRequest,
  {
    readonly prompt: Prompt.Input
    readonly promptGranularity?: typeof NamedGranularity.Type | InputOf<typeof CustomGranularity>
  }
>("aleph-alpha-client/ExplanationRequest")({
  /** Text, image and token-id items are all explained: a `Prompt`, a string or a list of items. */
  prompt: Prompt,
  /** The continuation to explain. */
  target: Schema.String,
  /** Also apply the probing controls to tokens at least this similar. Default: only covered tokens. */
  contextualControlThreshold: optional(Schema.Finite, "contextual_control_threshold"),
  /** How a segment boundary inside a token is treated. Default: `"partial"`. */
  controlTokenOverlap: optional(ControlTokenOverlap, "control_token_overlap"),
  /** Applied to each score. Default: `"none"`. */
  postprocessing: optional(ExplanationPostprocessing, "postprocessing"),
  /** true: add log(factor) to the attention scores; false: scale them. Default: true. */
  controlLogAdditive: optional(Schema.Boolean, "control_log_additive"),
  /** How the prompt is segmented. Default: the server picks it (about 30 segments). */
  promptGranularity: optional(PromptGranularity, "prompt_granularity"),
  /** One explanation for the whole target or one per target token. Default: `"complete"`. */
  targetGranularity: optional(TargetGranularity, "target_granularity"),
  /** Rescale the scores so that the smallest is 0 and the largest 1 (after postprocessing). Default: false. */
  normalize: optional(Schema.Boolean, "normalize"),
  /** The attention factor a segment is suppressed with while probing (≥ 0). Default: 0.1. */
  controlFactor: optional(Schema.Finite.pipe(Schema.nonNegative()), "control_factor")
}, undefined, fieldsOf({ prompt: promptInput, promptGranularity: instanceOf(CustomGranularity) })) {}

// ---------------------------------------------------------------------------------------------
// scores
// ---------------------------------------------------------------------------------------------

/** The importance of a span of a text item: `start`/`length` are character offsets into its text. */
export class TextScore extends Schema.Class<TextScore>("aleph-alpha-client/TextScore")({
  start: Schema.Int,
  length: Schema.Int,
  score: Schema.Number,
  /** The text the span covers; set by `withTextFromPrompt`, absent in a decoded response. */
  text: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/**
 * The importance of a span of the target that precedes the token being explained
 * (`start`/`length` are character offsets into the target).
 */
export class TargetScore extends Schema.Class<TargetScore>("aleph-alpha-client/TargetScore")({
  start: Schema.Int,
  length: Schema.Int,
  score: Schema.Number,
  /** The text the span covers; set by `withTextFromPrompt`, absent in a decoded response. */
  text: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/**
 * The importance of one token of a token-ids item. A plain number on the wire; an object here,
 * as in the Python client.
 */
export class TokenScore extends Schema.Class<TokenScore>("aleph-alpha-client/TokenScore")({
  score: Schema.Number
}) {}

/**
 * The importance of a rectangle of an image item: fractions (0…1) of the whole original image
 * as decoded, or pixels after `withImagePromptItemsInPixels`. Wire:
 * `{"rect": {"top", "left", "width", "height"}, "score"}`.
 */
export class ImageScore extends Schema.Class<ImageScore>("aleph-alpha-client/ImageScore")({
  left: Schema.Number,
  top: Schema.Number,
  width: Schema.Number,
  height: Schema.Number,
  score: Schema.Number
}) {}

const TokenScoreWire = Schema.transform(Schema.Number, TokenScore, {
  strict: true,
  decode: (score) => ({ score }),
  encode: (token) => token.score
})

const ImageScoreWire = Schema.transform(
  Schema.Struct({
    rect: Schema.Struct({ top: Schema.Number, left: Schema.Number, width: Schema.Number, height: Schema.Number }),
    score: Schema.Number
  }),
  ImageScore,
  {
    strict: true,
    decode: ({ rect, score }) => ({ left: rect.left, top: rect.top, width: rect.width, height: rect.height, score }),
    encode: ({ height, left, score, top, width }) => ({ rect: { top, left, width, height }, score })
  }
)

// ---------------------------------------------------------------------------------------------
// items
// ---------------------------------------------------------------------------------------------

/** The scores of a text item of the prompt. */
export class TextPromptItemExplanation extends Schema.Class<TextPromptItemExplanation>(
  "aleph-alpha-client/TextPromptItemExplanation"
)({
  type: Schema.tag("text"),
  scores: Schema.Array(TextScore)
}) {
  /** Adds to every score the text it covers in `item` (the prompt item this explanation is for). */
  withText(item: Text): TextPromptItemExplanation {
    return new TextPromptItemExplanation(
      { scores: this.scores.map((score) => new TextScore({ ...score, text: span(item.text, score) }, true)) },
      true
    )
  }
}

/** The scores of an image item of the prompt: one per tile, row by row. */
export class ImagePromptItemExplanation extends Schema.Class<ImagePromptItemExplanation>(
  "aleph-alpha-client/ImagePromptItemExplanation"
)({
  type: Schema.tag("image"),
  scores: Schema.Array(ImageScoreWire)
}) {
  /**
   * The rectangles in pixels of `image` (the prompt item this explanation is for): each
   * fraction times the width or height of the whole image, truncated to an integer, as the
   * Python client's `in_pixels` does.
   */
  inPixels(image: Image): Effect.Effect<ImagePromptItemExplanation, MediaError> {
    return Effect.map(image.dimensions(), (dimensions) => this.scaled(dimensions))
  }

  /** @internal */
  scaled({ height, width }: ImageDimensions): ImagePromptItemExplanation {
    return new ImagePromptItemExplanation({
      scores: this.scores.map((score) =>
        new ImageScore({
          left: Math.trunc(score.left * width),
          top: Math.trunc(score.top * height),
          width: Math.trunc(score.width * width),
          height: Math.trunc(score.height * height),
          score: score.score
        }, true)
      )
    }, true)
  }
}

/** The scores of a token-ids item of the prompt: one per token id, in order. */
export class TokenPromptItemExplanation extends Schema.Class<TokenPromptItemExplanation>(
  "aleph-alpha-client/TokenPromptItemExplanation"
)({
  type: Schema.tag("token_ids"),
  scores: Schema.Array(TokenScoreWire)
}) {}

/**
 * The scores of the spans of the target that precede the explained target token (empty for
 * the first token and for `targetGranularity: "complete"`).
 */
export class TargetPromptItemExplanation extends Schema.Class<TargetPromptItemExplanation>(
  "aleph-alpha-client/TargetPromptItemExplanation"
)({
  type: Schema.tag("target"),
  scores: Schema.Array(TargetScore)
}) {
  /** Adds to every score the text it covers in `target`. */
  withText(target: string): TargetPromptItemExplanation {
    return new TargetPromptItemExplanation(
      { scores: this.scores.map((score) => new TargetScore({ ...score, text: span(target, score) }, true)) },
      true
    )
  }
}

/**
 * An item of a `type` this client does not know, kept (as received, in `raw`) so that items
 * stay aligned with the prompt items they explain.
 */
export class UnknownPromptItemExplanation extends Schema.Class<UnknownPromptItemExplanation>(
  "aleph-alpha-client/UnknownPromptItemExplanation"
)({
  type: Schema.tag("unknown"),
  /** The item's `type` on the wire. */
  wireType: Schema.String,
  /** Its `scores` as received (`[]` when it had none), so that every item has `scores`. */
  scores: Schema.Array(Schema.Unknown),
  /** The item as received. */
  raw: Schema.Record({ key: Schema.String, value: Schema.Unknown })
}) {}

const knownItemTypes: ReadonlySet<string> = new Set(["text", "image", "token_ids", "target"])

const UnknownItemWire = Schema.transform(
  Schema.Struct({ type: Schema.String }, Schema.Record({ key: Schema.String, value: Schema.Unknown })).pipe(
    Schema.filter((item) => !knownItemTypes.has(item.type), { identifier: "UnknownPromptItemExplanationJson" })
  ),
  UnknownPromptItemExplanation,
  {
    strict: false,
    decode: (wire) => ({
      type: "unknown",
      wireType: wire.type,
      scores: Array.isArray(wire.scores) ? wire.scores : [],
      raw: wire
    }),
    encode: (item) => item.raw
  }
)

/** The explanation of one item: one per prompt item, in prompt order, then the target's. */
export type PromptItemExplanation =
  | TextPromptItemExplanation
  | ImagePromptItemExplanation
  | TokenPromptItemExplanation
  | TargetPromptItemExplanation
  | UnknownPromptItemExplanation

/** The schema of {@link PromptItemExplanation}, from its wire form (discriminated by `type`). */
export const PromptItemExplanation = Schema.Union(
  TextPromptItemExplanation,
  ImagePromptItemExplanation,
  TokenPromptItemExplanation,
  TargetPromptItemExplanation,
  UnknownItemWire
).annotations({ identifier: "PromptItemExplanation" })

// ---------------------------------------------------------------------------------------------
// explanations
// ---------------------------------------------------------------------------------------------

/** `text[start, start + length)` counted in code points, as Python slices strings. */
const span = (text: string, { length, start }: { readonly start: number; readonly length: number }): string => {
  // no surrogate pairs: code points and UTF-16 units coincide
  if (!/[\uD800-\uDFFF]/.test(text)) return text.slice(start, start + length)
  return Array.from(text).slice(start, start + length).join("")
}

const notAnImage = (index: number) =>
  new ValidationError({
    path: `items.${index}`,
    issue: "the explanation of this item is an image explanation, but the prompt item is not an Image",
    subject: "Prompt"
  })

/** The explanation of one target (the whole target, or one of its tokens). */
export class Explanation extends Schema.Class<Explanation>("aleph-alpha-client/Explanation")({
  /** The explained target, or the target token (`" pizza"`) with `targetGranularity: "token"`. */
  target: Schema.String,
  /** One entry per prompt item, in prompt order, followed by the target's entry. */
  items: Schema.Array(PromptItemExplanation)
}) {
  /**
   * Adds to every text score the text it covers in the matching item of `prompt`, and to every
   * target score the text it covers in `target` (Python `with_text_from_prompt`). A text
   * explanation whose prompt item is not a `Text` is left as it is.
   */
  withTextFromPrompt(prompt: Prompt, target: string): Explanation {
    const items = this.items.map((item, index): PromptItemExplanation => {
      if (item instanceof TextPromptItemExplanation) {
        const promptItem = prompt.items[index]
        return promptItem instanceof Text ? item.withText(promptItem) : item
      }
      return item instanceof TargetPromptItemExplanation ? item.withText(target) : item
    })
    return new Explanation({ target: this.target, items }, true)
  }

  /**
   * Converts the image scores to pixels of the matching image of `prompt` (Python
   * `with_image_prompt_items_in_pixels`). Reads each image's size from its bytes: a
   * `MediaError` when they are not an image, a `ValidationError` when the matching prompt item
   * is not an `Image`.
   */
  withImagePromptItemsInPixels(prompt: Prompt): Effect.Effect<Explanation, MediaError | ValidationError> {
    return Effect.map(imageDimensions([this], prompt), (dimensions) => this.scaled(dimensions))
  }

  /** @internal */
  scaled(dimensions: ReadonlyMap<number, ImageDimensions>): Explanation {
    const items = this.items.map((item, index): PromptItemExplanation => {
      const size = dimensions.get(index)
      return item instanceof ImagePromptItemExplanation && size !== undefined ? item.scaled(size) : item
    })
    return new Explanation({ target: this.target, items }, true)
  }
}

/** The size of every image that an image explanation refers to, by prompt item index. */
const imageDimensions = (
  explanations: ReadonlyArray<Explanation>,
  prompt: Prompt
): Effect.Effect<ReadonlyMap<number, ImageDimensions>, MediaError | ValidationError> => {
  const indices = new Set<number>()
  for (const explanation of explanations) {
    explanation.items.forEach((item, index) => {
      if (item instanceof ImagePromptItemExplanation) indices.add(index)
    })
  }
  return Effect.map(
    Effect.forEach([...indices], (index): Effect.Effect<readonly [number, ImageDimensions], MediaError | ValidationError> => {
      const item = prompt.items[index]
      return item instanceof Image
        ? Effect.map(item.dimensions(), (size) => [index, size] as const)
        : Effect.fail(notAnImage(index))
    }),
    (entries) => new Map(entries)
  )
}

/** The answer of `explain`. */
export class ExplanationResponse extends Schema.Class<ExplanationResponse>("aleph-alpha-client/ExplanationResponse")({
  modelVersion: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("model_version")),
  /** One for `targetGranularity: "complete"`, else one per target token. */
  explanations: Schema.Array(Explanation)
}) {
  /**
   * Adds to every text and target score the text it covers, taken from the request's prompt
   * and target (Python `with_text_from_prompt`).
   */
  withTextFromPrompt(request: ExplanationRequest): ExplanationResponse {
    return new ExplanationResponse({
      modelVersion: this.modelVersion,
      explanations: this.explanations.map((explanation) => explanation.withTextFromPrompt(request.prompt, request.target))
    }, true)
  }

  /**
   * Converts every image score to pixels of the matching image of `prompt` (the request's
   * prompt), reading each image's size once (Python `with_image_prompt_items_in_pixels`).
   */
  withImagePromptItemsInPixels(prompt: Prompt): Effect.Effect<ExplanationResponse, MediaError | ValidationError> {
    return Effect.map(imageDimensions(this.explanations, prompt), (dimensions) =>
      new ExplanationResponse({
        modelVersion: this.modelVersion,
        explanations: this.explanations.map((explanation) => explanation.scaled(dimensions))
      }, true))
  }
}

export declare namespace ExplanationRequest {
  /** What `new ExplanationRequest`, `ExplanationRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof ExplanationRequest>
}
