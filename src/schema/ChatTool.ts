/**
 * Typed chat tools: a tool whose arguments are an Effect `Schema`. Its JSON Schema is derived
 * as `chatStructured` derives one, and the tool loop (`chatWithTools`) decodes the model's
 * arguments with it before a handler sees them.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { ValidationError } from "../errors/AlephAlphaError.js"
import type { ChatResponse, ChatStreamEvent, Message } from "./Chat.js"
import { FunctionDefinition, Tool } from "./Chat.js"
import { describeThrown } from "./internal/thrown.js"
import { JSONSchema } from "./StructuredOutput.js"

/**
 * A tool the model may call, with typed arguments (`Params`) and, optionally, a typed result
 * (`Success`). Build it with {@link ChatTool.make}; run it with `chatWithTools`.
 */
export interface ChatTool<
  out Name extends string = string,
  in out Params = any,
  in out ParamsEncoded = any,
  in out Success = unknown,
  in out SuccessEncoded = unknown
> {
  readonly _tag: "ChatTool"
  /** `[a-zA-Z0-9_-]`, at most 64 characters, unique among the tools of a call. */
  readonly name: Name
  readonly description: string | undefined
  /** The arguments: an object schema (`Schema.Struct`, a `Schema.Class`). */
  readonly parameters: Schema.Schema<Params, ParamsEncoded>
  /** Encodes a handler's value before it is sent to the model; without it the value is sent as JSON. */
  readonly success: Schema.Schema<Success, SuccessEncoded> | undefined
  /** Whether the model must follow `parameters` exactly (then every field must be required). Default: unset (the server's default, false). */
  readonly strict: boolean | undefined
}

/** What {@link ChatTool.make} takes. */
export interface ChatToolOptions<Name extends string, Params, ParamsEncoded, Success, SuccessEncoded> {
  readonly name: Name
  /** Tells the model when to call the tool. Default: the parameters schema's description, if any. */
  readonly description?: string | undefined
  readonly parameters: Schema.Schema<Params, ParamsEncoded>
  /** Default: none (the handler's value is sent as JSON, a string as it is). */
  readonly success?: Schema.Schema<Success, SuccessEncoded> | undefined
  /** Default: unset. */
  readonly strict?: boolean | undefined
}

/** A handler per tool, by name, as `Client.chatWithTools` takes them: a function of the decoded arguments to an `Effect`. */
export type ChatToolHandlers<Tools extends ReadonlyArray<ChatTool.Any>> = {
  readonly [T in Tools[number] as T["name"]]: (params: ChatTool.Parameters<T>) => Effect.Effect<ChatTool.Success<T>, any, any>
}

/** A handler per tool, by name, as `AsyncClient.chatWithTools` takes them: an async function (its `signal` aborts with the call). */
export type AsyncChatToolHandlers<Tools extends ReadonlyArray<ChatTool.Any>> = {
  readonly [T in Tools[number] as T["name"]]: (
    params: ChatTool.Parameters<T>,
    context: { readonly signal: AbortSignal }
  ) => Promise<ChatTool.Success<T>> | ChatTool.Success<T>
}

export declare namespace ChatToolHandlers {
  /** What the handlers can fail with. */
  export type Error<H> = { [K in keyof H]: H[K] extends (...args: any) => Effect.Effect<any, infer E, any> ? E : never }[keyof H]
  /** What the handlers need. */
  export type Context<H> = { [K in keyof H]: H[K] extends (...args: any) => Effect.Effect<any, any, infer R> ? R : never }[keyof H]
}

/** Options of the tool loop (`chatWithTools`, `chatWithToolsStreaming`). */
export interface ChatWithToolsOptions<Tools extends ReadonlyArray<ChatTool.Any>, Handlers> {
  /** The tools offered to the model (they replace `request.tools`, which must be unset). */
  readonly tools: Tools
  /** A handler for each tool, by its name. */
  readonly handlers: Handlers
  /** The model; wins over `request.model`, one of them is required. */
  readonly model?: string | undefined
  /** The most model calls; an answer that still calls tools in the last one is a `MaxRoundsExceededError`. Default: 10. */
  readonly maxRounds?: number | undefined
  /** How many tool calls of one answer run at once. Default: all of them. */
  readonly concurrency?: number | undefined
}

/** What the tool loop returns. */
export interface ChatWithToolsResult {
  /** The model's final answer (the one without tool calls). */
  readonly response: ChatResponse
  /**
   * The whole conversation: the request's messages, each assistant turn with its tool calls,
   * the tool results, and the final answer. Append the next user turn to continue it.
   */
  readonly messages: ReadonlyArray<Message>
  /** How many times the model was called. */
  readonly rounds: number
}

/** A tool the loop ran (or could not run), emitted by `chatWithToolsStreaming` after the model's events of that round. */
export class ToolResult extends Data.TaggedClass("ToolResult")<{
  /** The model call (1, 2, …) whose answer asked for this tool. */
  readonly round: number
  /** The tool call's id, as the model gave it. */
  readonly id: string
  readonly name: string
  /** The arguments as the model wrote them (a JSON string). */
  readonly arguments: string
  /** The handler's value; `undefined` when it did not run. */
  readonly result: unknown
  /** What was sent back to the model: the value as JSON, or what was wrong with the call. */
  readonly content: string
  /** True when the handler did not run: unknown tool, arguments not JSON or not matching the schema. The model is told why. */
  readonly isFailure: boolean
}> {}

/** What `chatWithToolsStreaming` emits: the model's events of each round, and a `ToolResult` per tool run. */
export type ChatWithToolsEvent = ChatStreamEvent | ToolResult

const unreadableOptions = Symbol.for("aleph-alpha-client/ChatTool/unreadable")

const invalid = (path: string, issue: string) => new ValidationError({ path, issue, subject: "ChatTool" })

interface ReadTool {
  readonly name: string
  readonly description: string | undefined
  readonly parameters: Schema.Schema<unknown, unknown>
  readonly strict: boolean | undefined
}

/** The fields of a tool from untyped code, read once and checked; what throws is a `ValidationError`. */
const readTool = (tool: unknown): ReadTool | ValidationError => {
  try {
    if (typeof tool !== "object" || tool === null) return invalid("", "expected a tool made by ChatTool.make")
    if (unreadableOptions in tool) throw (tool as Record<symbol, unknown>)[unreadableOptions]
    const { name, description, parameters, strict } = tool as ChatTool.Any
    if (typeof name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) return invalid("name", "expected 1 to 64 of [a-zA-Z0-9_-]")
    if (description !== undefined && typeof description !== "string") return invalid("description", "expected a string")
    if (strict !== undefined && typeof strict !== "boolean") return invalid("strict", "expected a boolean")
    if (!Schema.isSchema(parameters)) return invalid("parameters", "expected an Effect Schema")
    return { name, description, parameters: parameters as Schema.Schema<unknown, unknown>, strict }
  } catch (thrown) {
    return invalid("", `could not be read (${describeThrown(thrown)})`)
  }
}

/** The tool as `ChatRequest.tools` sends it: the JSON Schema of its parameters, derived as `JSONSchema.fromSchema` does. */
const toTool = (tool: ChatTool.Any): Effect.Effect<Tool, ValidationError> =>
  Effect.gen(function*() {
    const read = readTool(tool)
    if (read instanceof ValidationError) return yield* read
    const { name, description, parameters, strict } = read
    const derived = yield* JSONSchema.fromSchema(parameters, { name, strict: strict ?? false })
      .pipe(Effect.mapError((error) => invalid(error.path.replace(/^schema/, "parameters"), error.issue)))
    if (derived.schema.type !== "object") {
      return yield* invalid("parameters", "a tool's arguments must be an object schema (Schema.Struct or a Schema.Class)")
    }
    const text = description ?? derived.description
    return new Tool({
      function: new FunctionDefinition({
        name,
        parameters: derived.schema,
        ...(text === undefined ? {} : { description: text }),
        ...(strict === undefined ? {} : { strict })
      })
    })
  })

/** Builds and converts typed tools. */
export const ChatTool = {
  /**
   * A tool with typed arguments. Nothing is checked here: the tool loop (and `toTool`) checks
   * the name and derives the JSON Schema before anything is sent, a `ValidationError` if either
   * is wrong.
   */
  make: <const Name extends string, Params, ParamsEncoded, Success = unknown, SuccessEncoded = unknown>(
    options: ChatToolOptions<Name, Params, ParamsEncoded, Success, SuccessEncoded>
  ): ChatTool<Name, Params, ParamsEncoded, Success, SuccessEncoded> => {
    try {
      const { name, description, parameters, success, strict } = options
      return { _tag: "ChatTool", name, description, parameters, success, strict }
    } catch (thrown) {
      // options from untyped code that throw when read: reported by the loop, as a ValidationError
      const unreadable = { _tag: "ChatTool", name: "", description: undefined, parameters: undefined, success: undefined, strict: undefined }
      return Object.assign(unreadable, { [unreadableOptions]: thrown }) as never
    }
  },
  /** The wire `Tool` of a typed tool, for `chat` without the loop; a `ValidationError` for a bad name or a schema JSON Schema cannot express. */
  toTool
}

export declare namespace ChatTool {
  /** Any typed tool. */
  export type Any = ChatTool<string, any, any, any, any>
  /** The decoded arguments of a tool. */
  export type Parameters<T> = T extends ChatTool<any, infer A, any, any, any> ? A : never
  /** What a tool's handler returns. */
  export type Success<T> = T extends ChatTool<any, any, any, infer S, any> ? S : never
}
