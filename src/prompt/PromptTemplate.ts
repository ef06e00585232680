/**
 * `PromptTemplate` (api-reference §5.2): a multimodal `Prompt` from a Liquid template, with
 * **liquidjs** (loaded when first used).
 *
 * ### Loading liquidjs: `make` versus `new`
 *
 * * `PromptTemplate.make(source)` loads liquidjs with a dynamic `import()` (works in every
 *   runtime and bundler) and parses the template: `Effect<PromptTemplate, ValidationError>`.
 * * `new PromptTemplate(source)` is synchronous, so it cannot wait for a dynamic import. It uses
 *   liquidjs when it is already loaded (by an earlier `make` or `new`), and otherwise loads it
 *   synchronously through Node's `createRequire` (obtained with `process.getBuiltinModule`:
 *   Node ≥ 20.16, Bun and Deno have it). Where synchronous loading is impossible (a browser) it
 *   throws an `Error` that points to `PromptTemplate.make`. A Liquid syntax error is thrown as
 *   a `ValidationError`.
 *
 * ### Placeholders
 *
 * Non-text items cannot be template variables, so a variable carries a placeholder — a random
 * UUID — that `toPrompt` swaps back for the item. As in Python, `placeholder(item)` registers
 * one on the template and `toPrompt` clears them after a successful render (they are single
 * use, so a long-lived template does not keep images alive). Beyond Python, an `Image`,
 * `Tokens` or `Prompt` may be passed directly as a variable (also inside arrays and plain
 * objects): it gets a placeholder that lives only for that render, which is also safe when one
 * template renders concurrently.
 */
import * as Effect from "effect/Effect"
import { ValidationError } from "../errors/AlephAlphaError.js"
import { Image, Prompt, type PromptItem, Text, Tokens } from "../schema/Prompt.js"
import { describeValue, isInstance } from "../schema/internal/untypedInput.js"
import { describeThrown, validationErrorFromThrow } from "../schema/internal/thrown.js"

type LiquidModule = typeof import("liquidjs")
type Liquid = InstanceType<LiquidModule["Liquid"]>
type Template = ReturnType<Liquid["parse"]>

let liquidModule: LiquidModule | undefined
let liquidEngine: Liquid | undefined
let liquidImport: Promise<LiquidModule> | undefined

/**
 * One engine for all templates: no file system (`{% include %}` and `{% render %}` find no
 * partials), unknown filters are errors (as in python-liquid), undefined variables render empty.
 */
const engine = (module: LiquidModule): Liquid => {
  liquidModule ??= module
  return liquidEngine ??= new liquidModule.Liquid({ templates: {}, strictFilters: true, strictVariables: false })
}

const loadLiquid: Effect.Effect<Liquid> = Effect.suspend(() =>
  liquidModule !== undefined
    ? Effect.succeed(engine(liquidModule))
    : Effect.map(
      Effect.promise(() => liquidImport ??= import("liquidjs")),
      engine
    )
)

const loadLiquidSync = (): Liquid => {
  if (liquidModule !== undefined) return engine(liquidModule)
  const getBuiltinModule = (globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown }
  }).process?.getBuiltinModule
  const nodeModule = typeof getBuiltinModule === "function"
    ? getBuiltinModule("node:module") as { createRequire?: (from: string) => (id: string) => unknown } | undefined
    : undefined
  if (nodeModule?.createRequire === undefined) {
    throw new Error(
      "new PromptTemplate(source) loads liquidjs synchronously, which this runtime cannot do; " +
        "use PromptTemplate.make(source) instead"
    )
  }
  return engine(nodeModule.createRequire(import.meta.url)("liquidjs") as LiquidModule)
}

/** Turns a liquidjs error (which carries the position) into a `ValidationError`. */
const liquidError = (error: unknown, stage: "parse" | "render"): ValidationError => {
  let issue: string
  try {
    const message = error instanceof Error ? error.message : String(error)
    const position = (error as { token?: { getPosition?: () => [number, number] } } | undefined)?.token?.getPosition?.()
    issue = position !== undefined && !/line:\d+, col:\d+/.test(message)
      ? `${message}, line:${position[0]}, col:${position[1]}`
      : message
  } catch {
    // what a getter or a Proxy among the variables threw, which may throw again when read
    issue = describeThrown(error)
  }
  return new ValidationError({
    path: "",
    issue: stage === "parse" ? `Liquid syntax error: ${issue}` : `Liquid render error: ${issue}`,
    subject: "PromptTemplate"
  })
}

/** A UUID v4 in its canonical lowercase form; the placeholder encoding in rendered text. */
const uuidPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g

type NonText = Image | Tokens

const isPlainObject = (u: unknown): u is Record<string, unknown> => {
  if (u === null || typeof u !== "object") return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/**
 * A Liquid template that renders to a `Prompt`: the text between placeholders becomes `Text`
 * items, each placeholder the `Image` or `Tokens` it stands for.
 *
 * ```ts
 * const template = yield* PromptTemplate.make("{{ image }}Describe {{ thing }}{% for t in tokens %}{{ t }}{% endfor %}")
 * const prompt = yield* template.toPrompt({ image: template.placeholder(image), thing: "this", tokens: [...] })
 * ```
 */
export class PromptTemplate {
  /** The template source. */
  readonly source: string
  private readonly engine: Liquid
  private readonly template: Template
  private readonly placeholders = new Map<string, NonText>()

  /**
   * Parses `source` synchronously (see the module notes on loading liquidjs). Throws a
   * `ValidationError` with the position on a Liquid syntax error.
   */
  constructor(source: string) {
    if (typeof source !== "string") {
      throw new ValidationError({
        path: "",
        issue: `expected the template source as a string, got ${describeValue(source)}`,
        subject: "PromptTemplate"
      })
    }
    this.source = source
    this.engine = loadLiquidSync()
    try {
      this.template = this.engine.parse(source)
    } catch (error) {
      throw liquidError(error, "parse")
    }
  }

  /** Loads liquidjs (once) and parses `source`; a syntax error is a `ValidationError` with the position. */
  static make(source: string): Effect.Effect<PromptTemplate, ValidationError> {
    return Effect.flatMap(loadLiquid, () =>
      Effect.try({
        try: () => new PromptTemplate(source),
        catch: (error) => isInstance(error, ValidationError) ? error as ValidationError : liquidError(error, "parse")
      }))
  }

  /**
   * Registers `item` and returns its placeholder (a fresh UUID) to pass as a template variable.
   * Placeholders are cleared by the next successful `toPrompt`.
   */
  placeholder(item: Image | Tokens): string {
    if (!(item instanceof Image) && !(item instanceof Tokens)) {
      throw new TypeError("PromptTemplate.placeholder takes an Image or Tokens item")
    }
    return register(this.placeholders, item)
  }

  /**
   * Flattens `prompt` into a string for use as a template variable: texts are concatenated
   * (empty ones skipped), with one space between two consecutive texts when neither side has
   * whitespace there; every other item becomes a fresh placeholder. Text controls are lost.
   */
  embedPrompt(prompt: Prompt): string {
    return embed(this.placeholders, prompt)
  }

  /**
   * Renders the template with `variables` and splits the result at the placeholders: the text
   * between them becomes `Text` items (adjacent texts merged, empty ones dropped) and each
   * placeholder its item, in order. A template without placeholders gives one `Text` (or an
   * empty prompt when it rendered to `""`). A Liquid render error is a `ValidationError`.
   *
   * `Image`, `Tokens` and `Prompt` values among the variables (also nested in arrays and plain
   * objects) are replaced by placeholders for this render.
   */
  toPrompt(variables: Record<string, unknown> = {}): Effect.Effect<Prompt, ValidationError> {
    return Effect.suspend(() => {
      const local = new Map<string, NonText>()
      let rendered: string
      try {
        // variables from untyped code may throw when read, or nest too deeply to walk
        const scope = substitute(variables, local, new Set()) as Record<string, unknown>
        try {
          rendered = String(this.engine.renderSync(this.template, scope))
        } catch (error) {
          return Effect.fail(liquidError(error, "render"))
        }
      } catch (thrown) {
        return Effect.fail(validationErrorFromThrow(thrown, variables, "PromptTemplate variables"))
      }
      const prompt = split(rendered, (id) => local.get(id) ?? this.placeholders.get(id))
      this.placeholders.clear()
      return Effect.succeed(prompt)
    })
  }
}

const register = (placeholders: Map<string, NonText>, item: NonText): string => {
  const id = globalThis.crypto.randomUUID()
  placeholders.set(id, item)
  return id
}

const embed = (placeholders: Map<string, NonText>, prompt: Prompt): string => {
  let out = ""
  let last: PromptItem | undefined
  for (const item of prompt.items) {
    if (item instanceof Text) {
      if (item.text.length === 0) continue
      if (last instanceof Text && !/\s$/.test(last.text) && !/^\s/.test(item.text)) out += " "
      out += item.text
    } else {
      out += register(placeholders, item)
    }
    last = item
  }
  return out
}

/**
 * Replaces `Image`/`Tokens`/`Prompt` values with placeholders registered in `local` (and a
 * `Text` with its text).
 */
const substitute = (value: unknown, local: Map<string, NonText>, seen: Set<unknown>): unknown => {
  if (value instanceof Image || value instanceof Tokens) return register(local, value)
  if (value instanceof Prompt) return embed(local, value)
  if (value instanceof Text) return value.text
  if (Array.isArray(value)) {
    if (seen.has(value)) return value
    seen.add(value)
    const out = value.map((element) => substitute(element, local, seen))
    seen.delete(value)
    return out
  }
  if (isPlainObject(value)) {
    if (seen.has(value)) return value
    seen.add(value)
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value)) out[key] = substitute(value[key], local, seen)
    seen.delete(value)
    return out
  }
  return value
}

const split = (rendered: string, lookup: (id: string) => NonText | undefined): Prompt => {
  const items: Array<PromptItem> = []
  let text = ""
  let from = 0
  for (const match of rendered.matchAll(uuidPattern)) {
    const item = lookup(match[0])
    if (item === undefined) continue
    text += rendered.slice(from, match.index)
    if (text !== "") items.push(new Text({ text }))
    text = ""
    items.push(item)
    from = match.index + match[0].length
  }
  text += rendered.slice(from)
  if (text !== "") items.push(new Text({ text }))
  return new Prompt(items, true)
}
