/**
 * Prompts and prompt items (api-reference §2): `Prompt`, `Text`, `Image`, `Tokens` and their
 * attention controls.
 *
 * TypeScript names are camelCase and the wire is snake_case; the schemas do the mapping:
 * `Schema.encode(Prompt)` produces exactly the JSON the Python client sends (§2.5: `controls`
 * always present, `x`/`y`/`size` only with a crop, an `ImageControl` as `rect` + `factor`) and
 * `Schema.decode(Prompt)` also accepts the items a response carries in `optimized_prompt`
 * (§2.7: `add_prefix_space`, `null` crops, server-filled `token_overlap`; item types it does not
 * know are skipped) and a bare string.
 *
 * `Text`, `Tokens`, `TextControl`, `TokenControl` and `Cropping` encode to their wire form on
 * their own. `Image` and `ImageControl` are restructured on the wire (`rect`, flat crop), so
 * their own class schemas encode to their TypeScript shape; the wire form of an image item is
 * {@link ImageItem}, used by {@link PromptItem} and {@link Prompt}.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Inspectable from "effect/Inspectable"
import * as ParseResult from "effect/ParseResult"
import { pipeArguments, type Pipeable } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import type { MediaError, ValidationError } from "../errors/AlephAlphaError.js"
import * as ImageSource from "../prompt/ImageSource.js"
import {
  bytesArgument,
  invalidArgument,
  isBytes,
  stringArgument,
  urlArgument,
  urlOptionsArgument,
  withArguments
} from "../prompt/internal/loaderArguments.js"
import { type InputOf, SafeClass, validationErrorFromParseError } from "./SafeClass.js"
import { arrayOf, type Coerce, fieldsOf, instanceOf, isPlainObject, parseError, renamed } from "./internal/plainInput.js"
import { validationErrorFromThrow } from "./internal/thrown.js"
import { isInstance } from "./internal/plainInput.js"

// ---------------------------------------------------------------------------------------------
// numbers
// ---------------------------------------------------------------------------------------------

/** A finite attention factor: `< 1` suppresses, `1` is a no-op, `> 1` amplifies. */
const Factor = Schema.Finite.annotations({ identifier: "Factor" })
/** A fraction of the whole image, in [0, 1]. */
const Fraction = Schema.Finite.pipe(Schema.between(0, 1, { identifier: "Fraction" }))
const NonNegativeInt = Schema.NonNegativeInt
const PositiveInt = Schema.Int.pipe(Schema.positive({ identifier: "PositiveInt" }))

// ---------------------------------------------------------------------------------------------
// controls
// ---------------------------------------------------------------------------------------------

/**
 * How a control's factor applies to a token (or image tile) the control covers only partly:
 * `"partial"` (the server default) scales the factor by the covered fraction, `"complete"`
 * applies the full factor to every touched token.
 */
export const ControlTokenOverlap = Schema.Literal("partial", "complete").annotations({
  identifier: "ControlTokenOverlap"
})
export type ControlTokenOverlap = typeof ControlTokenOverlap.Type

const tokenOverlap = Schema.optionalWith(ControlTokenOverlap, { exact: true }).pipe(Schema.fromKey("token_overlap"))

/** `tokenOverlap` under its wire name. */
interface TokenOverlapWire {
  readonly tokenOverlap?: never
  readonly token_overlap?: ControlTokenOverlap
}

const tokenOverlapNames = [["tokenOverlap", "token_overlap"]] as const

/**
 * Attention manipulation ("AtMan") over a character range of a `Text` item.
 * Wire: `{"start", "length", "factor", "token_overlap"?}`.
 */
export class TextControl extends SafeClass<TextControl, {} | TokenOverlapWire>("aleph-alpha-client/TextControl")({
  /** Character offset into the text. */
  start: NonNegativeInt,
  /** Number of characters. */
  length: NonNegativeInt,
  factor: Factor,
  /** Omitted unless set; the server default is `"partial"`. */
  tokenOverlap: tokenOverlap
}, undefined, (props) => renamed(props, tokenOverlapNames)) {}

/**
 * Attention manipulation over a rectangle of an `Image`: `left`, `top`, `width`, `height` are
 * fractions (0…1) of the whole original image (not of the crop), (0, 0) being the top-left
 * corner. Wire: `{"rect": {"left", "top", "width", "height"}, "factor", "token_overlap"?}`
 * (the mapping lives in {@link ImageItem}).
 */
export class ImageControl extends SafeClass<ImageControl, {} | ImageControlWire>("aleph-alpha-client/ImageControl")({
  left: Fraction,
  top: Fraction,
  width: Fraction,
  height: Fraction,
  factor: Factor,
  tokenOverlap: tokenOverlap
}, undefined, (props) => {
  const named = renamed(props, tokenOverlapNames)
  if (!("rect" in named)) return named
  const { rect, ...rest } = named
  if (!isPlainObject(rect)) return named
  for (const key of ["left", "top", "width", "height"]) {
    if (key in rest) throw parseError(key, rest[key], "give the rectangle as left, top, width, height or as rect, not both")
  }
  return { ...rest, left: rect.left, top: rect.top, width: rect.width, height: rect.height }
}) {}

/** An `ImageControl` as the wire sends it: the rectangle in `rect`. */
interface ImageControlWire extends TokenOverlapWire {
  readonly left?: never
  readonly top?: never
  readonly width?: never
  readonly height?: never
  readonly rect: { readonly left: number; readonly top: number; readonly width: number; readonly height: number }
}

/**
 * Attention manipulation of one token of a `Tokens` item. `index` is the position inside that
 * item's token ids (Python calls it `pos`). Wire: `{"index", "factor"}`.
 */
export class TokenControl extends SafeClass<TokenControl>("aleph-alpha-client/TokenControl")({
  index: NonNegativeInt,
  factor: Factor
}) {}

// ---------------------------------------------------------------------------------------------
// items
// ---------------------------------------------------------------------------------------------

/** A text item. Wire: `{"type": "text", "data", "controls": [...]}`. */
export class Text extends SafeClass<
  Text,
  | { readonly controls?: ReadonlyArray<InputOf<typeof TextControl>> }
  | { readonly text?: never; readonly data: string; readonly controls?: ReadonlyArray<InputOf<typeof TextControl>> }
>("aleph-alpha-client/Text")({
  type: Schema.tag("text"),
  /** May be `""` (unconditional completion). On the wire, and in a plain object if you like, `data`. */
  text: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("data")),
  /** Always sent (`[]` when empty), as the Python client does. */
  controls: Schema.optionalWith(Schema.Array(TextControl), { default: () => [] })
}, undefined, (props, options) =>
  fieldsOf({ controls: arrayOf(instanceOf(TextControl)) })(renamed(props, [["text", "data"]]), options)) {
  /** `Text.from_text`: a text item, optionally with controls. Throws a `ParseError` on bad controls. */
  static fromText(text: string, controls: ReadonlyArray<InputOf<typeof TextControl>> = []): Text {
    return new Text({ text, controls })
  }
}

/** A sequence of token ids of the target model's vocabulary. Wire: `{"type": "token_ids", "data", "controls"}`. */
export class Tokens extends SafeClass<
  Tokens,
  | { readonly controls?: ReadonlyArray<InputOf<typeof TokenControl>> }
  | {
    readonly tokens?: never
    readonly data: ReadonlyArray<number>
    readonly controls?: ReadonlyArray<InputOf<typeof TokenControl>>
  }
>("aleph-alpha-client/Tokens")({
  type: Schema.tag("token_ids"),
  /** Non-negative integer token ids. On the wire, and in a plain object if you like, `data`. */
  tokens: Schema.propertySignature(Schema.Array(NonNegativeInt)).pipe(Schema.fromKey("data")),
  controls: Schema.optionalWith(Schema.Array(TokenControl), { default: () => [] })
}, undefined, (props, options) =>
  fieldsOf({ controls: arrayOf(instanceOf(TokenControl)) })(renamed(props, [["tokens", "data"]]), options)) {
  /** `Tokens.from_token_ids`. Throws a `ParseError` on a negative or fractional id. */
  static fromTokenIds(tokenIds: ReadonlyArray<number>, controls: ReadonlyArray<InputOf<typeof TokenControl>> = []): Tokens {
    return new Tokens({ tokens: tokenIds, controls })
  }
}

/**
 * A square crop of an image: the top-left corner (`x`, `y`) and the side length `size`, in
 * pixels. Sent as `x`/`y`/`size` on the image item.
 */
export class Cropping extends SafeClass<Cropping>("aleph-alpha-client/Cropping")({
  x: NonNegativeInt,
  y: NonNegativeInt,
  size: PositiveInt
}) {}

/**
 * An image item: the standard base64 of the image file's bytes (JPEG, PNG, … as read, no
 * `data:` prefix), an optional square crop and attention controls.
 *
 * Build it with the loaders (`fromFile`, `fromUrl`, `fromBytes`, …), which check that the bytes
 * are an image; `new Image({ base64 })` takes the base64 as given.
 */
export class Image extends SafeClass<
  Image,
  | {
    readonly cropping?: InputOf<typeof Cropping>
    readonly controls?: ReadonlyArray<InputOf<typeof ImageControl>>
  }
  | ImageWire
>("aleph-alpha-client/Image")({
  type: Schema.tag("image"),
  /** On the wire, and in a plain object if you like, `data`. */
  base64: Schema.String,
  /** On the wire, and in a plain object if you like, flat `x`, `y`, `size`. */
  cropping: Schema.optionalWith(Cropping, { exact: true }),
  controls: Schema.optionalWith(Schema.Array(ImageControl), { default: () => [] })
}, undefined, (props, options) => imageFields(imageFromWire(props), options)) {
  /**
   * Width and height of the whole image in pixels, read from its header (PNG, JPEG, GIF, WebP, BMP)
   * (EXIF orientation is not applied, as in the Python client). Fails with a `MediaError` when
   * the data is not a recognisable image.
   */
  dimensions(): Effect.Effect<ImageSource.ImageDimensions, MediaError> {
    const source = "Image.base64"
    return Effect.flatMap(ImageSource.decodeBase64(this.base64, source), (bytes) => ImageSource.imageDimensions(bytes, source))
  }

  /** The image bytes (decoded from the base64). */
  bytes(): Effect.Effect<Uint8Array, MediaError> {
    return ImageSource.decodeBase64(this.base64, "Image.base64")
  }

  /**
   * `Image.from_bytes`: the bytes as they are (no re-encoding), optionally cropped. Bytes that
   * are not an image fail with a `MediaError`.
   */
  static fromBytes(
    bytes: Uint8Array,
    cropping?: Cropping,
    controls?: ReadonlyArray<ImageControl>
  ): Effect.Effect<Image, MediaError | ValidationError> {
    return withArguments(invalidArgument("Image.fromBytes"), () =>
      Effect.flatMap(
        ImageSource.checkImage(bytesArgument(bytes, "bytes")),
        (checked) => fromCheckedBytes(checked, cropping, controls)
      ))
  }

  /** `Image.from_file`: reads the file (through `FileSystem`); no crop. */
  static fromFile(
    path: string,
    controls?: ReadonlyArray<ImageControl>
  ): Effect.Effect<Image, MediaError | ValidationError, FileSystem.FileSystem> {
    return withArguments(invalidArgument("Image.fromFile"), () =>
      Effect.flatMap(
        ImageSource.readImageFile(stringArgument(path, "path")),
        (bytes) => fromCheckedBytes(bytes, undefined, controls)
      ))
  }

  /** `Image.from_file_with_cropping`: reads the file and sends a square crop. */
  static fromFileWithCropping(
    path: string,
    upperLeftX: number,
    upperLeftY: number,
    cropSize: number,
    controls?: ReadonlyArray<ImageControl>
  ): Effect.Effect<Image, MediaError | ValidationError, FileSystem.FileSystem> {
    return withArguments(invalidArgument("Image.fromFileWithCropping"), () => {
      const file = stringArgument(path, "path")
      return Effect.flatMap(
        Cropping.make({ x: upperLeftX, y: upperLeftY, size: cropSize }),
        (cropping) => Effect.flatMap(ImageSource.readImageFile(file), (bytes) => fromCheckedBytes(bytes, cropping, controls))
      )
    })
  }

  /**
   * `Image.from_url`: GETs the URL with the context's `HttpClient` — pass a bare client; any
   * `Authorization` header is removed anyway — following redirects, with the body capped
   * (`options.maxBytes`, default 20 MiB) and checked to be an image. No crop.
   */
  static fromUrl(
    url: string | URL,
    controls?: ReadonlyArray<ImageControl>,
    options?: ImageSource.UrlLoadOptions
  ): Effect.Effect<Image, MediaError | ValidationError, HttpClient.HttpClient> {
    return withArguments(invalidArgument("Image.fromUrl"), () =>
      Effect.flatMap(
        ImageSource.fetchImage(urlArgument(url, "url"), urlOptionsArgument(options, "options")),
        (bytes) => fromCheckedBytes(bytes, undefined, controls)
      ))
  }

  /** `Image.from_url_with_cropping`: {@link Image.fromUrl} plus a square crop. */
  static fromUrlWithCropping(
    url: string | URL,
    upperLeftX: number,
    upperLeftY: number,
    cropSize: number,
    controls?: ReadonlyArray<ImageControl>,
    options?: ImageSource.UrlLoadOptions
  ): Effect.Effect<Image, MediaError | ValidationError, HttpClient.HttpClient> {
    return withArguments(invalidArgument("Image.fromUrlWithCropping"), () => {
      const fetched = ImageSource.fetchImage(urlArgument(url, "url"), urlOptionsArgument(options, "options"))
      return Effect.flatMap(
        Cropping.make({ x: upperLeftX, y: upperLeftY, size: cropSize }),
        (cropping) => Effect.flatMap(fetched, (bytes) => fromCheckedBytes(bytes, cropping, controls))
      )
    })
  }

  /**
   * `Image.from_image_source`: a `URL`, or a string with an `http:`/`https:` scheme → URL; a
   * `file:` URL → its path; any other string → file path (so `C:\x.png` is a path, unlike in
   * Python); bytes → {@link Image.fromBytes}.
   */
  static fromImageSource(
    source: string | URL | Uint8Array,
    controls?: ReadonlyArray<ImageControl>,
    options?: ImageSource.UrlLoadOptions
  ): Effect.Effect<Image, MediaError | ValidationError, FileSystem.FileSystem | HttpClient.HttpClient> {
    if (isBytes(source)) return Image.fromBytes(source, undefined, controls)
    return withArguments(invalidArgument("Image.fromImageSource"), (): Effect.Effect<
      Image,
      MediaError | ValidationError,
      FileSystem.FileSystem | HttpClient.HttpClient
    > => {
      const read = urlArgument(source, "source")
      const url = read instanceof URL ? read : /^[a-z][a-z0-9+.-]*:\/\//i.test(read) ? safeUrl(read) : undefined
      if (url === undefined) return Image.fromFile(read as string, controls)
      if (url.protocol === "file:") return Image.fromFile(filePath(url), controls)
      return Image.fromUrl(url, controls, options)
    })
  }
}

/** An `Image` as the wire sends it (see {@link ImageItem}); `null` crop fields mean no crop. */
interface ImageWire {
  readonly base64?: never
  readonly cropping?: never
  readonly data: string
  readonly x?: number | null
  readonly y?: number | null
  readonly size?: number | null
  readonly controls?: ReadonlyArray<InputOf<typeof ImageControl>>
}

const imageFields = fieldsOf({ cropping: instanceOf(Cropping), controls: arrayOf(instanceOf(ImageControl)) })

/** `data` as `base64`, and a flat crop (`x`, `y`, `size`) as `cropping`. */
const imageFromWire = (props: Record<string, unknown>): Record<string, unknown> => {
  const named = renamed(props, [["base64", "data"]])
  if (!("x" in named || "y" in named || "size" in named)) return named
  const { size, x, y, ...rest } = named
  const given = [x, y, size].filter((v) => v !== undefined && v !== null).length
  if (given === 0) return rest
  if ("cropping" in rest) throw parseError("cropping", rest.cropping, "give the crop as cropping or as x, y, size, not both")
  if (given !== 3) throw parseError("size", size, "an image crop needs all of x, y and size (or none of them)")
  return { ...rest, cropping: { x, y, size } }
}

/** The path of a `file:` URL (`file:///C:/x.png` → `C:/x.png`). */
const filePath = (url: URL): string => {
  const path = decodeURIComponent(url.pathname)
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1) : path
}

const safeUrl = (s: string): URL | undefined => {
  try {
    return new URL(s)
  } catch {
    return undefined
  }
}

const fromCheckedBytes = (
  bytes: Uint8Array,
  cropping: Cropping | undefined,
  controls: ReadonlyArray<ImageControl> | undefined
): Effect.Effect<Image, ValidationError> =>
  Image.make({
    base64: ImageSource.encodeBase64(bytes),
    ...(cropping === undefined ? {} : { cropping }),
    ...(controls === undefined ? {} : { controls })
  })

// ---------------------------------------------------------------------------------------------
// the wire form of an image item
// ---------------------------------------------------------------------------------------------

const Rect = Schema.Struct({ left: Schema.Number, top: Schema.Number, width: Schema.Number, height: Schema.Number })

const ImageControlWire = Schema.Struct({
  rect: Rect,
  factor: Schema.Number,
  token_overlap: Schema.optionalWith(ControlTokenOverlap, { exact: true })
})

const Coordinate = Schema.optionalWith(Schema.NullOr(Schema.Number), { exact: true })

const ImageItemWire = Schema.Struct({
  type: Schema.Literal("image"),
  data: Schema.String,
  x: Coordinate,
  y: Coordinate,
  size: Coordinate,
  controls: Schema.optionalWith(Schema.Array(ImageControlWire), { exact: true })
})

/**
 * The wire form of an `Image`:
 * `{"type": "image", "data", "x"?, "y"?, "size"?, "controls": [{"rect": {…}, "factor", "token_overlap"?}]}`.
 * Decoding accepts `null` crop fields (no crop); a crop must have all three or none.
 */
export const ImageItem: Schema.Schema<Image, typeof ImageItemWire.Encoded> = Schema.transformOrFail(
  ImageItemWire,
  Image,
  {
    strict: true,
    decode: (wire, _, ast) => {
      const { size, x, y } = wire
      const given = [x, y, size].filter((v) => v !== undefined && v !== null).length
      if (given !== 0 && given !== 3) {
        return ParseResult.fail(
          new ParseResult.Type(ast, wire, "An image crop needs all of x, y and size (or none of them)")
        )
      }
      return ParseResult.succeed({
        type: "image" as const,
        base64: wire.data,
        ...(given === 3 ? { cropping: { x: x as number, y: y as number, size: size as number } } : {}),
        controls: (wire.controls ?? []).map((control) => ({
          left: control.rect.left,
          top: control.rect.top,
          width: control.rect.width,
          height: control.rect.height,
          factor: control.factor,
          ...(control.token_overlap === undefined ? {} : { token_overlap: control.token_overlap })
        }))
      })
    },
    encode: (image) =>
      ParseResult.succeed({
        type: "image" as const,
        data: image.base64,
        ...(image.cropping === undefined ? {} : image.cropping),
        controls: (image.controls ?? []).map((control) => ({
          rect: { left: control.left, top: control.top, width: control.width, height: control.height },
          factor: control.factor,
          ...(control.token_overlap === undefined ? {} : { token_overlap: control.token_overlap })
        }))
      })
  }
).annotations({ identifier: "ImageItem" })

/** One item of a prompt. */
export type PromptItem = Text | Image | Tokens

/** One item of a prompt, as a schema from its wire form (§2.2–2.4). */
export const PromptItem: Schema.Schema<
  PromptItem,
  typeof Text.Encoded | typeof ImageItem.Encoded | typeof Tokens.Encoded
> = Schema.Union(Text, ImageItem, Tokens).annotations({ identifier: "PromptItem" })

/** The wire form of a prompt item. */
export type PromptItemEncoded = typeof PromptItem.Encoded

/**
 * The wire form of a prompt. Encoding always produces the array (as the Python client does);
 * decoding also accepts a bare string and arrays with item types it does not know (skipped).
 */
export type PromptEncoded = string | ReadonlyArray<PromptItemEncoded>

/** Whether `u` is a `Text`, `Image` or `Tokens`. */
export const isPromptItem = (u: unknown): u is PromptItem => u instanceof Text || u instanceof Image || u instanceof Tokens

type Fields<C extends abstract new(...args: any) => any> = Exclude<ConstructorParameters<C>[0], void | undefined>

/**
 * A prompt item as a prompt accepts it: a `Text`, `Image` or `Tokens`, or a plain object of
 * its fields with its `type` (`"text"`, `"image"`, `"token_ids"`), in the TypeScript shape
 * (`{ type: "text", text }`) or the wire shape (`{ type: "text", data }`).
 */
export type PromptItemInput =
  | PromptItem
  | (Fields<typeof Text> & { readonly type: "text" })
  | (Fields<typeof Image> & { readonly type: "image" })
  | (Fields<typeof Tokens> & { readonly type: "token_ids" })

/** A plain prompt item through its class's constructor, chosen by its `type`. */
const promptItem: Coerce = (value, options) => {
  if (!isPlainObject(value) || isInstance(value, Text) || isInstance(value, Image) || isInstance(value, Tokens)) return value
  switch (value.type) {
    case "text":
      return new Text(value as Fields<typeof Text>, options)
    case "image":
      return new Image(value as Fields<typeof Image>, options)
    case "token_ids":
      return new Tokens(value as Fields<typeof Tokens>, options)
    default:
      return value
  }
}
const promptItems = arrayOf(promptItem)

// ---------------------------------------------------------------------------------------------
// Prompt
// ---------------------------------------------------------------------------------------------

const knownItemTypes: ReadonlySet<string> = new Set(["text", "image", "token_ids"])

/** An item of a type this client does not know (decoded, then dropped). */
const UnknownItem = Schema.Struct({ type: Schema.String }).pipe(
  Schema.filter((item) => !knownItemTypes.has(item.type), { identifier: "UnknownPromptItem" })
)

const PromptItemTypes = Schema.Array(Schema.Union(Text, Image, Tokens))
const validateItems = ParseResult.validateSync(PromptItemTypes)

const variance = {
  _A: (_: any) => _,
  _I: (_: any) => _,
  _R: (_: never) => _
}

let promptAst: AST.AST | undefined

const PromptJson = Schema.Union(Schema.String, Schema.Array(Schema.Unknown)).annotations({ identifier: "PromptJson" })
const PromptItemsWire = Schema.Array(Schema.Union(PromptItem, UnknownItem))

// The validator is built once per compiled parser, not once per prompt (a hot path for batches).
// Items that are all instances of the item classes are valid as they stand: that is all a
// class's type-side check looks at.
const validatePrompt = (items: Schema.Schema.AnyNoContext) => {
  const validate = ParseResult.validate(items)
  return (input: unknown, options: AST.ParseOptions, ast: AST.Declaration) =>
    input instanceof Prompt
      ? Array.isArray(input.items) && input.items.every(isPromptItem)
        ? ParseResult.succeed(input)
        : ParseResult.map(validate(input.items, options), () => input)
      : ParseResult.fail(new ParseResult.Type(ast, input))
}

/**
 * The wire form of items that are all plain text without controls (nearly every prompt of a
 * batch), written directly: through the item schemas each costs about 5 µs. `undefined` for
 * anything else, which goes through the schemas. A property test keeps the two equal.
 */
const plainTextWire = (items: ReadonlyArray<PromptItem>): Array<typeof Text.Encoded> | undefined => {
  if (!Array.isArray(items)) return undefined
  const wire = new Array<typeof Text.Encoded>(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (
      !(item instanceof Text) || item.type !== "text" || typeof item.text !== "string" ||
      !Array.isArray(item.controls) || item.controls.length !== 0
    ) return undefined
    wire[i] = { type: "text", data: item.text, controls: [] }
  }
  return wire
}

const buildPromptAst = (): AST.AST => {
  const Self = Schema.declare(
    [PromptItemTypes],
    { decode: validatePrompt, encode: validatePrompt },
    {
      identifier: "Prompt",
      description: "a Prompt instance",
      arbitrary: (items) => (fc) => items(fc).map((list) => new Prompt(list)),
      pretty: () => (prompt: Prompt) => String(prompt)
    }
  )
  const decodeItems = ParseResult.decodeUnknown(PromptItemsWire)
  const encodeItems = ParseResult.encodeUnknown(PromptItemsWire)
  return Schema.transformOrFail(
    PromptJson,
    Self,
    {
      strict: false,
      // A bare string is turned into its one-item array first, so that an invalid item is
      // reported at its index rather than as "expected string" from a union with the string form.
      decode: (wire, options) =>
        ParseResult.map(
          decodeItems(typeof wire === "string" ? [{ type: "text", data: wire, controls: [] }] : wire, options),
          (items) => new Prompt(items.filter(isPromptItem), true)
        ),
      encode: (prompt, options) => {
        const wire = plainTextWire(prompt.items)
        return wire === undefined ? encodeItems(prompt.items, options) : ParseResult.succeed(wire)
      }
    }
  ).annotations({ identifier: "Prompt" }).ast
}

/**
 * A prompt: text, images and token ids, concatenated in order into one model input.
 *
 * `Prompt` is also the schema of a prompt field: `Schema.encode(Prompt)` gives the wire array
 * of §2.5 and `Schema.decode(Prompt)` accepts it, a bare string and response items (§2.7), so
 * request classes declare `prompt: Prompt`.
 *
 * A plain string becomes a single `Text` item with no controls (`new Prompt("hi")`,
 * `Prompt.fromText("hi")`) and is sent as `[{"type":"text","data":"hi","controls":[]}]`, as
 * the Python client does; a bare string received from the wire decodes the same way.
 *
 * `new Prompt(items)` validates the items and may throw a `ParseError`; `Prompt.make(items)` is
 * the safe constructor.
 */
export class Prompt implements Inspectable.Inspectable {
  // --- the schema interface (Prompt is the schema of a prompt field) ---
  static readonly [Schema.TypeId]: Schema.Schema.Variance<Prompt, PromptEncoded, never>[typeof Schema.TypeId] =
    variance
  declare static readonly Type: Prompt
  declare static readonly Encoded: PromptEncoded
  declare static readonly Context: never
  static get ast(): AST.AST {
    return promptAst ??= buildPromptAst()
  }
  static annotations(annotations: Schema.Annotations.GenericSchema<Prompt>): Schema.SchemaClass<Prompt, PromptEncoded> {
    return Schema.make<Prompt, PromptEncoded>(Prompt.ast).annotations(annotations)
  }
  static readonly pipe: Pipeable["pipe"] = function(this: unknown) {
    return pipeArguments(this, arguments)
  } as Pipeable["pipe"]
  static toString(): string {
    return "Prompt"
  }

  /** The items, in order. */
  readonly items: ReadonlyArray<PromptItem>

  /**
   * `Prompt(items)`: a string becomes one `Text` item (no controls); in a list, plain items
   * become their classes' instances. Throws a `ParseError` when an element is not a `Text`,
   * `Image` or `Tokens` (unless `options` disables validation).
   */
  constructor(items: string | ReadonlyArray<PromptItemInput>, options?: Schema.MakeOptions) {
    if (typeof items === "string") {
      this.items = [new Text({ text: items })]
      return
    }
    const disable = typeof options === "boolean" ? options : options?.disableValidation === true
    const instances = promptItems(items, options) as ReadonlyArray<PromptItem>
    this.items = disable ? instances.slice() : validateItems(instances).slice()
  }

  /** Validates the items and builds the prompt; a bad element is a `ValidationError` naming its index. */
  static make(items: string | ReadonlyArray<PromptItemInput>): Effect.Effect<Prompt, ValidationError> {
    return Effect.try({
      try: () => new Prompt(items),
      catch: (error) =>
        ParseResult.isParseError(error)
          ? validationErrorFromParseError(error, "Prompt")
          : validationErrorFromThrow(error, items, "Prompt")
    })
  }

  /** `Prompt.from_text`: one text item. Throws a `ParseError` on bad controls. */
  static fromText(text: string, controls: ReadonlyArray<InputOf<typeof TextControl>> = []): Prompt {
    return new Prompt([Text.fromText(text, controls)])
  }

  /** `Prompt.from_image`: one image item. */
  static fromImage(image: Image): Prompt {
    return new Prompt([image])
  }

  /** `Prompt.from_tokens`: one token-ids item. Throws a `ParseError` on a bad id or control. */
  static fromTokens(tokens: ReadonlyArray<number>, controls: ReadonlyArray<InputOf<typeof TokenControl>> = []): Prompt {
    return new Prompt([Tokens.fromTokenIds(tokens, controls)])
  }

  /** `Schema.decodeUnknown(Prompt)` as a safe constructor from wire JSON. */
  static fromJson(json: unknown): Effect.Effect<Prompt, ValidationError> {
    return Effect.suspend(() => {
      try {
        return Either.mapLeft(Schema.decodeUnknownEither(Prompt)(json), (error) => validationErrorFromParseError(error, "Prompt"))
      } catch (thrown) {
        // untyped code: a getter or Proxy that throws, or a value too deep to check
        return Either.left(validationErrorFromThrow(thrown, json, "Prompt"))
      }
    })
  }

  /** The wire JSON (§2.5); falls back to a description when an item is invalid. */
  toJSON(): unknown {
    try {
      return Schema.encodeSync(Prompt)(this)
    } catch {
      return { _id: "Prompt", items: this.items.map((item) => Inspectable.toJSON(item)) }
    }
  }

  toString(): string {
    return `Prompt(${Inspectable.format(this.toJSON())})`
  }

  [Inspectable.NodeInspectSymbol](): unknown {
    return this.toJSON()
  }
}

export declare namespace Prompt {
  /**
   * What a prompt field (`prompt`, `prompts`, `input`) accepts: a `Prompt`, a string (one text
   * item) or a list of items, plain or not ({@link PromptItemInput}).
   */
  export type Input = Prompt | string | ReadonlyArray<PromptItemInput>
}
