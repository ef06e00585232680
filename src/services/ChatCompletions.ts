/**
 * The `ChatCompletions` family: `chat`, `chatWithStreaming`, `chatStructured` and the tool
 * loop (`chatWithTools`, `chatWithToolsStreaming`, in `ToolLoop`).
 */
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import {
  type ApiError,
  DecodeError,
  StructuredOutputError,
  type StructuredChatError,
  type ToolLoopError,
  ValidationError
} from "../errors/AlephAlphaError.js"
import {
  ChatEventAssembler,
  ChatRequest,
  ChatResponse,
  ChatResponseDecoder,
  type ChatStreamEvent,
  ChatStreamChunk,
  decodeChatChunk,
  plainChatChunkFromData
} from "../schema/Chat.js"
import type {
  ChatTool,
  ChatToolHandlers,
  ChatWithToolsEvent,
  ChatWithToolsOptions,
  ChatWithToolsResult
} from "../schema/ChatTool.js"
import { type FromSchemaOptions, JSONSchema, stripThinking } from "../schema/StructuredOutput.js"
import { formatParseError } from "../schema/internal/parseErrorText.js"
import { describeThrown, validationErrorFromThrow } from "../schema/internal/thrown.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import { invalidModel, modelAndOptions } from "./internal/modelName.js"
import * as Telemetry from "./Telemetry.js"
import { mapChunksOrFail } from "./internal/chunks.js"
import * as ToolLoop from "./ToolLoop.js"

/** The methods of the `ChatCompletions` family. */
export interface ChatCompletionsService {
  /** `POST chat/completions`. The `model` argument wins over `request.model`; one of them is required. */
  readonly chat: (request: ChatRequest.Input, model?: string) => Effect.Effect<ChatResponse, ApiError>
  /**
   * The same, streamed: content deltas, whole tool calls, one `ChatFinish` per choice and, with
   * `streamOptions.includeUsage`, a final `Usage`. Interrupting it closes the connection.
   */
  readonly chatWithStreaming: (request: ChatRequest.Input, model?: string) => Stream.Stream<ChatStreamEvent, ApiError>
  /**
   * Asks for output following `schema` and returns it decoded. A leading `<think>…</think>`
   * block is skipped; content that does not match is a `StructuredOutputError` carrying it.
   * Without a model argument the options may come third: `chatStructured(request, schema, { strict })`.
   */
  readonly chatStructured: {
    <A, I>(request: ChatRequest.Input, schema: Schema.Schema<A, I>, options?: FromSchemaOptions): Effect.Effect<A, StructuredChatError>
    <A, I>(
      request: ChatRequest.Input,
      schema: Schema.Schema<A, I>,
      model?: string,
      options?: FromSchemaOptions
    ): Effect.Effect<A, StructuredChatError>
  }
  /**
   * The tool loop: asks the model, runs the tools it calls with their handlers (in parallel),
   * sends the results back and asks again, until an answer without tool calls. Arguments the
   * model got wrong are sent back to it as the tool's result; a handler's failure ends the loop
   * with it; an answer still calling tools after `maxRounds` is a `MaxRoundsExceededError`.
   */
  readonly chatWithTools: <const Tools extends ReadonlyArray<ChatTool.Any>, Handlers extends ChatToolHandlers<Tools>>(
    request: ChatRequest.Input,
    options: ChatWithToolsOptions<Tools, Handlers>
  ) => Effect.Effect<ChatWithToolsResult, ToolLoopError | ChatToolHandlers.Error<Handlers>, ChatToolHandlers.Context<Handlers>>
  /** The tool loop, streamed: each round's model events, then a `ToolResult` per tool it ran. */
  readonly chatWithToolsStreaming: <const Tools extends ReadonlyArray<ChatTool.Any>, Handlers extends ChatToolHandlers<Tools>>(
    request: ChatRequest.Input,
    options: ChatWithToolsOptions<Tools, Handlers>
  ) => Stream.Stream<ChatWithToolsEvent, ToolLoopError | ChatToolHandlers.Error<Handlers>, ChatToolHandlers.Context<Handlers>>
}

/** The model argument, or else `request.model`; checked as every model is (`invalidModel`). */
const modelOf = (request: ChatRequest.Input, model: string | undefined): Effect.Effect<string, ValidationError> => {
  let chosen: unknown = model
  // a request that is not an object at all (from untyped code) fails its encoding later
  if (chosen === undefined && typeof request === "object" && request !== null) {
    try {
      chosen = request.model
    } catch (thrown) {
      return Effect.fail(validationErrorFromThrow(thrown, request, "ChatRequest"))
    }
  }
  if (chosen === undefined) {
    return Effect.fail(
      new ValidationError({
        path: "model",
        issue: "no model: pass one to the method or set ChatRequest.model",
        subject: "ChatRequest"
      })
    )
  }
  const invalid = invalidModel(chosen, "ChatRequest")
  return invalid === undefined ? Effect.succeed(chosen as string) : Effect.fail(invalid)
}

const decodeChunkError = (error: ParseResult.ParseError) =>
  new DecodeError({ message: `A chat stream chunk did not match the expected shape: ${formatParseError(error)}` })

const messagesOf = (fields: Partial<ChatRequest.Input>) => fields.messages

/** The `ChatCompletions` family's tag. */
export class ChatCompletions extends Context.Tag("aleph-alpha-client/ChatCompletions")<
  ChatCompletions,
  ChatCompletionsService
>() {
  static readonly make: Effect.Effect<ChatCompletionsService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp

    const attributes = (request: ChatRequest.Input, model: string | undefined) =>
      Telemetry.generationAttributes("chat", model, request, messagesOf)

    const describe = (response: ChatResponse): Telemetry.ResponseAttributes => ({
      finishReasons: response.choices.map((choice) => choice.finishReason ?? "unknown"),
      inputTokens: response.usage?.promptTokens,
      outputTokens: response.usage?.completionTokens,
      responseModel: response.model,
      responseId: response.id,
      content: () => response.choices.map((choice) => choice.message.text)
    })

    const chat = (request: ChatRequest.Input, model?: string) =>
      Telemetry.call(http.options, "chat", attributes(request, model), describe, (span) =>
        Effect.flatMap(
          modelOf(request, model),
          (model) => http.post({ path: "chat/completions", schema: ChatRequest, request, model, span }, ChatResponseDecoder)
        ))

    const chatWithStreaming = (request: ChatRequest.Input, model?: string) =>
      Stream.unwrap(Effect.map(modelOf(request, model), (model) =>
        Stream.suspend(() => {
          const assembler = new ChatEventAssembler()
          // content deltas come read off the event's text already, the rest as JSON values
          return http.postStream({ path: "chat/completions", schema: ChatRequest, request, model }, plainChatChunkFromData).pipe(
            // the events before a bad chunk are delivered, however the body was chunked
            mapChunksOrFail((values: Chunk.Chunk<unknown>, events: Array<ChatStreamEvent>) => {
              for (const value of values) {
                // what the assembler makes of a content delta (no tool call, no finish)
                if (value instanceof ChatStreamChunk) {
                  events.push(value)
                  continue
                }
                const chunk = decodeChatChunk(value)
                if (Either.isLeft(chunk)) return http.redact(decodeChunkError(chunk.left))
                assembler.push(chunk.right, events)
              }
              return undefined
            })
          )
        }))).pipe(
        Telemetry.streamSpan(http.options, "chatWithStreaming", attributes(request, model), () => {
          const finishReasons: Array<string> = []
          let usage: { inputTokens?: number; outputTokens?: number } = {}
          const text = new Map<number, string>()
          return {
            add: (event: ChatStreamEvent) => {
              if (event._tag === "ChatFinish") finishReasons.push(event.finishReason)
              else if (event._tag === "Usage") usage = { inputTokens: event.promptTokens, outputTokens: event.completionTokens }
              else if (event._tag === "ChatStreamChunk" && http.options.recordContent) {
                text.set(event.index, (text.get(event.index) ?? "") + event.content)
              }
            },
            done: () => ({ finishReasons, ...usage, content: () => [...text.values()] })
          }
        })
      )

    const chatStructured = <A, I>(
      request: ChatRequest.Input,
      schema: Schema.Schema<A, I>,
      modelOrOptions?: string | FromSchemaOptions,
      trailing?: FromSchemaOptions
    ): Effect.Effect<A, StructuredChatError> => {
      const [model, options] = modelAndOptions(modelOrOptions, trailing)
      return structured(request, schema, model, options)
    }

    const structured = <A, I>(
      request: ChatRequest.Input,
      schema: Schema.Schema<A, I>,
      model: string | undefined,
      options: FromSchemaOptions | undefined
    ) =>
      Effect.gen(function*() {
        let fields: ChatRequest.Input
        try {
          if (typeof request === "object" && request !== null && request.responseFormat !== undefined) {
            return yield* new ValidationError({
              path: "responseFormat",
              issue: "chatStructured sets the response format from its schema; leave responseFormat unset",
              subject: "ChatRequest"
            })
          }
          fields = { ...request }
        } catch (thrown) {
          return yield* validationErrorFromThrow(thrown, request, "ChatRequest")
        }
        const responseFormat = yield* JSONSchema.fromSchema(schema, options)
        // a plain request: chat's encoding builds and checks it
        const response = yield* chat({ ...fields, responseFormat }, model)
        const raw = response.message.text
        const json = stripThinking(raw)
        const parsed = yield* Effect.try({
          try: () => JSON.parse(json) as unknown,
          catch: (cause) =>
            http.redact(
              new StructuredOutputError({ content: raw, message: `The model's answer is not JSON: ${String(cause)}`, cause })
            )
        })
        return yield* Effect.suspend(() => Schema.decodeUnknown(schema)(parsed)).pipe(
          Effect.mapError((error) =>
            http.redact(
              new StructuredOutputError({
                content: raw,
                message: `The model's answer does not match the schema: ${formatParseError(error)}`
              })
            )
          ),
          // the schema's own code threw, or it recursed deeper than the stack allows
          Effect.catchAllDefect((defect) =>
            http.redact(
              new StructuredOutputError({
                content: raw,
                message: `The model's answer could not be decoded with the schema: ${describeThrown(defect)}`
              })
            )
          )
        )
      }).pipe(Telemetry.span(http.options, "chatStructured", attributes(request, model)))

    const calls: ToolLoop.ChatCalls = { chat, chatWithStreaming }
    // one span around the loop's model calls (their own spans name the model)
    const chatWithTools: ChatCompletionsService["chatWithTools"] = (request, options) =>
      ToolLoop.run<ChatToolHandlers.Error<typeof options.handlers>, ChatToolHandlers.Context<typeof options.handlers>>(
        calls,
        request,
        options
      ).pipe(Telemetry.span(http.options, "chatWithTools", attributes(request, undefined)))
    const chatWithToolsStreaming: ChatCompletionsService["chatWithToolsStreaming"] = (request, options) =>
      ToolLoop.stream(calls, request, options)

    return { chat, chatWithStreaming, chatStructured, chatWithTools, chatWithToolsStreaming }
  })

  static readonly layer: Layer.Layer<ChatCompletions, never, AlephAlphaHttp> = Layer.effect(
    ChatCompletions,
    ChatCompletions.make
  )
}
