/**
 * The `@effect/ai` `LanguageModel` over Aleph Alpha's `chat/completions`: `generateText`,
 * `streamText` and `generateObject`, tool calls through an `@effect/ai` `Toolkit`, usage and
 * finish reasons mapped. Swap it in for any other provider by changing one layer:
 *
 * ```ts
 * import { LanguageModel } from "@effect/ai"
 * import { AlephAlphaLanguageModel } from "aleph-alpha-client/ai"
 *
 * const program = LanguageModel.generateText({ prompt: "Hello" })
 * program.pipe(
 *   Effect.provide(AlephAlphaLanguageModel.model("llama-3.1-8b-instruct")),
 *   Effect.provide(Client.layerConfig()), Effect.provide(FetchHttpClient.layer))
 * ```
 *
 * Needs the `Client` service (`Client.layer`, `Client.layerConfig`, or `AlephAlphaTest.layer()`
 * in tests).
 */
import * as AiError from "@effect/ai/AiError"
import * as IdGenerator from "@effect/ai/IdGenerator"
import * as LanguageModel from "@effect/ai/LanguageModel"
import * as AiModel from "@effect/ai/Model"
import type * as Prompt from "@effect/ai/Prompt"
import type * as Response from "@effect/ai/Response"
import * as Telemetry from "@effect/ai/Telemetry"
import * as Tool from "@effect/ai/Tool"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { Span } from "effect/Tracer"
import type { Simplify } from "effect/Types"
import type { ApiError } from "../errors/AlephAlphaError.js"
import {
  ChatRequest,
  type ChatResponse,
  type ChatStreamEvent,
  type FinishReason as ChatFinishReason,
  FunctionCall,
  FunctionDefinition,
  Message,
  type MessageContent,
  MessageToolCall,
  StreamOptions,
  Tool as ChatTool,
  type ToolChoice as ChatToolChoice,
  type Usage as ChatUsage
} from "../schema/Chat.js"
import { Image } from "../schema/Prompt.js"
import { JSONSchema } from "../schema/StructuredOutput.js"
import { Client } from "../services/Client.js"
import { toAiError } from "./AiErrors.js"
import { type Piece, splitThinking, ThinkingSplitter } from "./internal/thinking.js"

const MODULE = "AlephAlphaLanguageModel"
const PATH = "chat/completions"

/** The name `gen_ai.system` carries on the `@effect/ai` spans. */
export const SYSTEM = "aleph_alpha"

/** The provider name of {@link model} (`@effect/ai`'s `Model.ProviderName`). */
export const PROVIDER = "aleph-alpha"

// =============================================================================
// Configuration
// =============================================================================

type ChatRequestFields = ConstructorParameters<typeof ChatRequest>[0]

/**
 * Request settings: the sampling fields of `ChatRequest` and a few provider switches. Given to
 * {@link model} / {@link layer}, and overridable per call with {@link withConfigOverride}.
 */
export class Config extends Context.Tag("aleph-alpha-client/ai/AlephAlphaLanguageModel/Config")<
  Config,
  Config.Service
>() {
  /** The override in the current context, if any. */
  static readonly getOrUndefined: Effect.Effect<Config.Service | undefined> = Effect.map(
    Effect.context<never>(),
    (context) => context.unsafeMap.get(Config.key)
  )
}

export declare namespace Config {
  /**
   * `model` and the `ChatRequest` fields the provider does not set itself (it sets `messages`,
   * `tools`, `toolChoice`, `responseFormat` and `streamOptions`; `n` stays 1, as `@effect/ai`
   * expects one answer).
   */
  export interface Service extends
    Simplify<
      Partial<
        Omit<ChatRequestFields, "messages" | "tools" | "toolChoice" | "responseFormat" | "streamOptions" | "n">
      >
    >
  {
    /**
     * Whether `generateObject` asks for strict schema adherence. Default: strict when the
     * schema allows it (every field required), else not strict. `true` makes a schema with
     * optional fields a `MalformedInput`.
     */
    readonly strictJsonSchema?: boolean | undefined
    /** Sent as each tool's `strict` flag. Default: unset (the server's default, not strict). */
    readonly strictTools?: boolean | undefined
  }
}

// =============================================================================
// Constructors
// =============================================================================

/**
 * The language model as an `@effect/ai` `Model`: provide it to a program written against
 * `LanguageModel` (it also provides `Model.ProviderName`, `"aleph-alpha"`). Needs `Client`.
 */
export const model = (
  model: string,
  config?: Omit<Config.Service, "model">
): AiModel.Model<typeof PROVIDER, LanguageModel.LanguageModel, Client> =>
  AiModel.make(PROVIDER, layer(config === undefined ? { model } : { model, config }))

/** Builds the `LanguageModel` service over the `Client` in context. */
export const make = Effect.fnUntraced(function*(options: {
  readonly model: string
  readonly config?: Omit<Config.Service, "model"> | undefined
}) {
  const client = yield* Client

  const prepare = (providerOptions: LanguageModel.ProviderOptions, method: string, stream: boolean) =>
    Effect.flatMap(Config.getOrUndefined, (override) =>
      makeRequest(providerOptions, { model: options.model, ...options.config, ...override }, method, stream))

  return yield* LanguageModel.make({
    generateText: (providerOptions) =>
      Effect.gen(function*() {
        const { model, request } = yield* prepare(providerOptions, "generateText", false)
        annotateRequest(providerOptions.span, model, request)
        const response = yield* client.chat(request, model).pipe(
          Effect.mapError((error) => toAiError(error, { module: MODULE, method: "generateText", path: PATH }))
        )
        const parts = yield* makeResponse(response, model)
        annotateResponse(providerOptions.span, response, model)
        return parts
      }),
    streamText: (providerOptions) =>
      Stream.unwrap(Effect.gen(function*() {
        const { model, request } = yield* prepare(providerOptions, "streamText", true)
        annotateRequest(providerOptions.span, model, request)
        const events: Stream.Stream<ChatStreamEvent, AiError.AiError> = client.chatWithStreaming(request, model).pipe(
          Stream.mapError((error: ApiError) =>
            toAiError(error, { module: MODULE, method: "streamText", path: PATH })
          )
        )
        return yield* makeStreamResponse(events, model, providerOptions.span)
      }))
  })
})

/** The `LanguageModel` layer; needs `Client`. */
export const layer = (options: {
  readonly model: string
  readonly config?: Omit<Config.Service, "model"> | undefined
}): Layer.Layer<LanguageModel.LanguageModel, never, Client> => Layer.effect(LanguageModel.LanguageModel, make(options))

/** Runs `self` with these settings on top of those of the layer (and of outer overrides). */
export const withConfigOverride: {
  (overrides: Config.Service): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, overrides: Config.Service): Effect.Effect<A, E, R> =>
    Effect.flatMap(Config.getOrUndefined, (config) => Effect.provideService(self, Config, { ...config, ...overrides }))
)

// =============================================================================
// Request
// =============================================================================

const malformedInput = (method: string, description: string) =>
  new AiError.MalformedInput({ module: MODULE, method, description })

const makeRequest = (
  options: LanguageModel.ProviderOptions,
  config: Config.Service,
  method: string,
  stream: boolean
): Effect.Effect<{ readonly model: string; readonly request: ChatRequest }, AiError.AiError> =>
  Effect.gen(function*() {
    const { model, strictJsonSchema, strictTools, ...fields } = config
    if (model === undefined || model === "") {
      return yield* malformedInput(method, "No model: pass one to AlephAlphaLanguageModel.model or layer")
    }
    const messages = yield* prepareMessages(options.prompt, method)
    const tools = yield* prepareTools(options, strictTools, method)
    const responseFormat = yield* prepareResponseFormat(options, strictJsonSchema, method)
    // Validated (and turned into a `MalformedInput`) when the client encodes it.
    const request = new ChatRequest({
      ...fields,
      messages,
      ...tools,
      ...(responseFormat === undefined ? {} : { responseFormat }),
      ...(stream ? { streamOptions: new StreamOptions({ includeUsage: true }) } : {})
    }, { disableValidation: true })
    return { model, request }
  })

// --- messages

const toolResultContent = (value: unknown): string => {
  if (typeof value === "string") return value
  const json = JSON.stringify(value)
  return json === undefined ? "" : json
}

const base64OfData = (data: string | Uint8Array | URL, method: string): Either.Either<string, AiError.AiError> => {
  if (data instanceof Uint8Array) return Either.right(Encoding.encodeBase64(data))
  const text = data instanceof URL ? data.href : data
  const dataUrl = /^data:[^,]*;base64,(.*)$/s.exec(text)
  if (dataUrl !== null) return Either.right(dataUrl[1]!)
  if (data instanceof URL || /^https?:\/\//i.test(text)) {
    return Either.left(malformedInput(
      method,
      `Images must be sent as data, not by URL (${text}); load it first, e.g. with Image.fromUrl`
    ))
  }
  return Either.right(text)
}

const userContent = (
  parts: ReadonlyArray<Prompt.UserMessagePart>,
  method: string
): Either.Either<MessageContent, AiError.AiError> => {
  const content: Array<string | Image> = []
  for (const part of parts) {
    if (part.type === "text") {
      content.push(part.text)
      continue
    }
    if (!part.mediaType.startsWith("image/")) {
      return Either.left(malformedInput(
        method,
        `Unsupported file type ${JSON.stringify(part.mediaType)}: Aleph Alpha chat takes text and images`
      ))
    }
    const base64 = base64OfData(part.data, method)
    if (Either.isLeft(base64)) return Either.left(base64.left)
    content.push(new Image({ base64: base64.right }, { disableValidation: true }))
  }
  if (content.length === 1 && typeof content[0] === "string") return Either.right(content[0])
  return Either.right(content)
}

const prepareMessages = (prompt: Prompt.Prompt, method: string): Effect.Effect<Array<Message>, AiError.AiError> =>
  Effect.suspend(() => {
    const messages: Array<Message> = []
    for (const message of prompt.content) {
      switch (message.role) {
        case "system": {
          messages.push(new Message({ role: "system", content: message.content }, { disableValidation: true }))
          break
        }
        case "user": {
          const content = userContent(message.content, method)
          if (Either.isLeft(content)) return Effect.fail(content.left)
          messages.push(new Message({ role: "user", content: content.right }, { disableValidation: true }))
          break
        }
        case "assistant": {
          let text = ""
          const toolCalls: Array<MessageToolCall> = []
          for (const part of message.content) {
            switch (part.type) {
              case "text":
                text += part.text
                break
              case "tool-call":
                if (!part.providerExecuted) {
                  toolCalls.push(
                    new MessageToolCall({
                      id: part.id,
                      function: new FunctionCall({ name: part.name, arguments: JSON.stringify(part.params ?? {}) }, {
                        disableValidation: true
                      })
                    }, { disableValidation: true })
                  )
                }
                break
              case "file":
                return Effect.fail(malformedInput(method, "Aleph Alpha chat does not take files in assistant messages"))
              // reasoning is not sent back; provider-executed tool results do not exist here
              case "reasoning":
              case "tool-result":
                break
            }
          }
          messages.push(
            new Message({
              role: "assistant",
              content: text,
              ...(toolCalls.length === 0 ? {} : { toolCalls })
            }, { disableValidation: true })
          )
          break
        }
        case "tool": {
          for (const part of message.content) {
            messages.push(
              new Message({ role: "tool", content: toolResultContent(part.result), toolCallId: part.id }, {
                disableValidation: true
              })
            )
          }
          break
        }
      }
    }
    return Effect.succeed(messages)
  })

// --- tools

const prepareTools = (
  options: LanguageModel.ProviderOptions,
  strict: boolean | undefined,
  method: string
): Effect.Effect<{ readonly tools?: Array<ChatTool>; readonly toolChoice?: ChatToolChoice }, AiError.AiError> =>
  Effect.suspend(() => {
    if (options.tools.length === 0) return Effect.succeed({})
    const tools: Array<ChatTool> = []
    for (const tool of options.tools) {
      if (Tool.isProviderDefined(tool)) {
        return Effect.fail(malformedInput(method, `Aleph Alpha has no provider-defined tool ${JSON.stringify(tool.id)}`))
      }
      const description = tool.description ?? Tool.getDescriptionFromSchemaAst(tool.parametersSchema.ast)
      const parameters = Tool.getJsonSchemaFromSchemaAst(tool.parametersSchema.ast) as unknown as Record<string, unknown>
      tools.push(
        new ChatTool({
          function: new FunctionDefinition({
            name: tool.name,
            parameters,
            ...(description === undefined ? {} : { description }),
            ...(strict === undefined ? {} : { strict })
          }, { disableValidation: true })
        }, { disableValidation: true })
      )
    }
    return Effect.succeed({ tools, toolChoice: toolChoiceOf(options.toolChoice) })
  })

const toolChoiceOf = (choice: LanguageModel.ToolChoice<string>): ChatToolChoice => {
  if (typeof choice === "string") return choice
  if ("tool" in choice) return { type: "function", function: { name: choice.tool } }
  // `oneOf`: `@effect/ai` already narrowed the tools to that subset
  return choice.mode === "required" ? "required" : "auto"
}

// --- structured output

const jsonSchemaName = (objectName: string): string => {
  const name = objectName.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 64)
  return name === "" ? "response" : name
}

const prepareResponseFormat = (
  options: LanguageModel.ProviderOptions,
  strict: boolean | undefined,
  method: string
): Effect.Effect<JSONSchema | undefined, AiError.AiError> => {
  const format = options.responseFormat
  if (format.type !== "json") return Effect.succeed(undefined)
  const name = jsonSchemaName(format.objectName)
  const build = (strict: boolean) => JSONSchema.fromSchema(format.schema, { name, strict })
  const built = strict === undefined ? Effect.orElse(build(true), () => build(false)) : build(strict)
  return Effect.mapError(built, (error) => toAiError(error, { module: MODULE, method, path: PATH }))
}

// =============================================================================
// Response
// =============================================================================

/** `@effect/ai`'s finish reason for the API's; tool calls make a plain stop `"tool-calls"`. */
export const finishReason = (reason: ChatFinishReason | null | undefined, hasToolCalls: boolean): Response.FinishReason => {
  switch (reason) {
    case "stop":
      return hasToolCalls ? "tool-calls" : "stop"
    case "length":
      return "length"
    case "content_filter":
      return "content-filter"
    case "tool_calls":
      return "tool-calls"
    default:
      return hasToolCalls ? "tool-calls" : "unknown"
  }
}

const usageOf = (usage: ChatUsage | null | undefined): typeof Response.Usage.Encoded => ({
  inputTokens: usage?.promptTokens,
  outputTokens: usage?.completionTokens,
  totalTokens: usage?.totalTokens
})

const parseArguments = (
  call: { readonly id: string; readonly function: { readonly name: string; readonly arguments: string } },
  method: string
): Either.Either<unknown, AiError.AiError> => {
  const text = call.function.arguments
  if (text.trim() === "") return Either.right({})
  return Either.try({
    try: () => Tool.unsafeSecureJsonParse(text),
    catch: (cause) =>
      new AiError.MalformedOutput({
        module: MODULE,
        method,
        description: `The arguments of the call of tool ${JSON.stringify(call.function.name)} are not JSON: ${text}`,
        cause
      })
  })
}

const contentText = (content: MessageContent): string =>
  typeof content === "string" ? content : content.filter((part): part is string => typeof part === "string").join("")

const makeResponse = (
  response: ChatResponse,
  model: string
): Effect.Effect<Array<Response.PartEncoded>, AiError.AiError> =>
  Effect.suspend(() => {
    const parts: Array<Response.PartEncoded> = [{
      type: "response-metadata",
      id: response.id,
      modelId: response.model === undefined || response.model === "" ? model : response.model,
      timestamp: response.created === undefined ? undefined : new Date(response.created * 1000).toISOString()
    }]
    const choice = response.choices[0]
    if (choice === undefined) {
      return Effect.fail(
        new AiError.MalformedOutput({
          module: MODULE,
          method: "generateText",
          description: "The chat response has no choices"
        })
      )
    }
    const { reasoning, text } = splitThinking(contentText(choice.message.content))
    if (reasoning !== undefined) parts.push({ type: "reasoning", text: reasoning })
    if (text !== "") parts.push({ type: "text", text })
    for (const call of choice.toolCalls) {
      const params = parseArguments(call, "generateText")
      if (Either.isLeft(params)) return Effect.fail(params.left)
      parts.push({ type: "tool-call", id: call.id, name: call.function.name, params: params.right })
    }
    parts.push({
      type: "finish",
      reason: finishReason(choice.finishReason, choice.toolCalls.length > 0),
      usage: usageOf(response.usage)
    })
    return Effect.succeed(parts)
  })

/**
 * Stream events as `@effect/ai` parts: `response-metadata` first; content as `text-start`,
 * `text-delta`s and `text-end` (a leading `<think>` block as `reasoning-*`); each tool call whole
 * as a `tool-call`; `finish` with the usage last.
 */
const makeStreamResponse = (
  events: Stream.Stream<ChatStreamEvent, AiError.AiError>,
  model: string,
  span: Span
): Effect.Effect<Stream.Stream<Response.StreamPartEncoded, AiError.AiError>, never, IdGenerator.IdGenerator> =>
  Effect.gen(function*() {
    const idGenerator = yield* IdGenerator.IdGenerator
    const baseId = yield* idGenerator.generateId()
    const splitter = new ThinkingSplitter()
    let blocks = 0
    let textId: string | undefined = undefined
    let reasoningId: string | undefined = undefined
    let reason: ChatFinishReason | null = null
    let usage: ChatUsage | null = null
    let toolCalls = 0

    const emit = (pieces: ReadonlyArray<Piece>, out: Array<Response.StreamPartEncoded>) => {
      for (const piece of pieces) {
        if (piece.kind === "reasoning") {
          if (reasoningId === undefined) {
            reasoningId = `${baseId}-${blocks++}`
            out.push({ type: "reasoning-start", id: reasoningId })
          }
          out.push({ type: "reasoning-delta", id: reasoningId, delta: piece.text })
        } else {
          if (reasoningId !== undefined) {
            out.push({ type: "reasoning-end", id: reasoningId })
            reasoningId = undefined
          }
          if (textId === undefined) {
            textId = `${baseId}-${blocks++}`
            out.push({ type: "text-start", id: textId })
          }
          out.push({ type: "text-delta", id: textId, delta: piece.text })
        }
      }
    }

    const close = (out: Array<Response.StreamPartEncoded>) => {
      emit(splitter.end(), out)
      if (reasoningId !== undefined) {
        out.push({ type: "reasoning-end", id: reasoningId })
        reasoningId = undefined
      }
      if (textId !== undefined) {
        out.push({ type: "text-end", id: textId })
        textId = undefined
      }
    }

    const step = (event: ChatStreamEvent, out: Array<Response.StreamPartEncoded>): AiError.AiError | undefined => {
      // `n` is never set, so every event belongs to choice 0
      if (event._tag !== "Usage" && event.index !== 0) return undefined
      switch (event._tag) {
        case "ChatStreamChunk":
          if (event.content !== "") emit(splitter.push(event.content), out)
          return undefined
        case "ToolCall": {
          close(out)
          const params = parseArguments(event, "streamText")
          if (Either.isLeft(params)) return params.left
          toolCalls++
          out.push({ type: "tool-call", id: event.id, name: event.function.name, params: params.right })
          return undefined
        }
        case "ChatFinish":
          close(out)
          reason = event.finishReason
          return undefined
        case "Usage":
          usage = event
          return undefined
      }
    }

    const body = Stream.mapChunksEffect(events, (chunk) => {
      const out: Array<Response.StreamPartEncoded> = []
      for (const event of chunk) {
        const error = step(event, out)
        if (error !== undefined) return Effect.fail(error)
      }
      return Effect.succeed(Chunk.unsafeFromArray(out))
    })

    const finish = Stream.suspend(() => {
      const out: Array<Response.StreamPartEncoded> = []
      close(out)
      const finishReasonValue = finishReason(reason, toolCalls > 0)
      Telemetry.addGenAIAnnotations(span, {
        response: { finishReasons: [reason ?? finishReasonValue] },
        usage: { inputTokens: usage?.promptTokens, outputTokens: usage?.completionTokens }
      })
      out.push({ type: "finish", reason: finishReasonValue, usage: usageOf(usage) })
      return Stream.fromIterable(out)
    })

    return Stream.make<Array<Response.StreamPartEncoded>>({ type: "response-metadata", modelId: model }).pipe(
      Stream.concat(body),
      Stream.concat(finish)
    )
  })

// =============================================================================
// Telemetry
// =============================================================================

const annotateRequest = (span: Span, model: string, request: ChatRequest): void => {
  Telemetry.addGenAIAnnotations(span, {
    system: SYSTEM,
    operation: { name: "chat" },
    request: {
      model,
      temperature: request.temperature,
      topP: request.topP,
      topK: request.topK,
      maxTokens: request.maximumTokens,
      frequencyPenalty: request.frequencyPenalty,
      presencePenalty: request.presencePenalty,
      stopSequences: request.stop === undefined ? undefined : typeof request.stop === "string" ? [request.stop] : request.stop
    }
  })
}

const annotateResponse = (span: Span, response: ChatResponse, model: string): void => {
  const reason = response.choices[0]?.finishReason
  Telemetry.addGenAIAnnotations(span, {
    response: {
      id: response.id,
      model: response.model === undefined || response.model === "" ? model : response.model,
      finishReasons: reason == null ? undefined : [reason]
    },
    usage: { inputTokens: response.usage?.promptTokens, outputTokens: response.usage?.completionTokens }
  })
}
