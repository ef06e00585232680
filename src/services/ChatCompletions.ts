/**
 * The `ChatCompletions` family: `chat`, `chatWithStreaming` and `chatStructured`.
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
  type AlephAlphaError,
  DecodeError,
  StructuredOutputError,
  ValidationError
} from "../errors/AlephAlphaError.js"
import {
  ChatEventAssembler,
  ChatRequest,
  ChatResponse,
  type ChatStreamEvent,
  decodeChatChunk
} from "../schema/Chat.js"
import { type FromSchemaOptions, JSONSchema, stripThinking } from "../schema/StructuredOutput.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import { mapChunksOrFail } from "./internal/chunks.js"

/** The methods of the `ChatCompletions` family. */
export interface ChatCompletionsService {
  /** `POST chat/completions`. The `model` argument wins over `request.model`; one of them is required. */
  readonly chat: (request: ChatRequest, model?: string) => Effect.Effect<ChatResponse, AlephAlphaError>
  /**
   * The same, streamed: content deltas, whole tool calls, one `ChatFinish` per choice and, with
   * `streamOptions.includeUsage`, a final `Usage`. Interrupting it closes the connection.
   */
  readonly chatWithStreaming: (request: ChatRequest, model?: string) => Stream.Stream<ChatStreamEvent, AlephAlphaError>
  /**
   * Asks for output following `schema` and returns it decoded. A leading `<think>…</think>`
   * block is skipped; content that does not match is a `StructuredOutputError` carrying it.
   */
  readonly chatStructured: <A, I>(
    request: ChatRequest,
    schema: Schema.Schema<A, I>,
    model?: string,
    options?: FromSchemaOptions
  ) => Effect.Effect<A, AlephAlphaError>
}

const modelOf = (request: ChatRequest, model: string | undefined): Effect.Effect<string, ValidationError> => {
  // a request that is not an object at all (from untyped code) fails its encoding later
  const chosen = model ?? (typeof request === "object" && request !== null ? request.model : undefined)
  return chosen === undefined || chosen === ""
    ? Effect.fail(
      new ValidationError({
        path: "model",
        issue: "no model: pass one to the method or set ChatRequest.model",
        subject: "ChatRequest"
      })
    )
    : Effect.succeed(chosen)
}

const decodeChunkError = (error: ParseResult.ParseError) =>
  new DecodeError({
    message: `A chat stream chunk did not match the expected shape: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
  })

/** The `ChatCompletions` family's tag. */
export class ChatCompletions extends Context.Tag("aleph-alpha-client/ChatCompletions")<
  ChatCompletions,
  ChatCompletionsService
>() {
  static readonly make: Effect.Effect<ChatCompletionsService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp

    const chat = (request: ChatRequest, model?: string) =>
      Effect.flatMap(
        modelOf(request, model),
        (model) => http.post({ path: "chat/completions", schema: ChatRequest, request, model }, ChatResponse)
      )

    const chatWithStreaming = (request: ChatRequest, model?: string) =>
      Stream.unwrap(Effect.map(modelOf(request, model), (model) =>
        Stream.suspend(() => {
          const assembler = new ChatEventAssembler()
          return http.postStream({ path: "chat/completions", schema: ChatRequest, request, model }).pipe(
            // the events before a bad chunk are delivered, however the body was chunked
            mapChunksOrFail((values: Chunk.Chunk<unknown>, events: Array<ChatStreamEvent>) => {
              for (const value of values) {
                const chunk = decodeChatChunk(value)
                if (Either.isLeft(chunk)) return decodeChunkError(chunk.left)
                assembler.push(chunk.right, events)
              }
              return undefined
            })
          )
        })))

    const chatStructured = <A, I>(
      request: ChatRequest,
      schema: Schema.Schema<A, I>,
      model?: string,
      options?: FromSchemaOptions
    ) =>
      Effect.gen(function*() {
        if (typeof request === "object" && request !== null && request.responseFormat !== undefined) {
          return yield* new ValidationError({
            path: "responseFormat",
            issue: "chatStructured sets the response format from its schema; leave responseFormat unset",
            subject: "ChatRequest"
          })
        }
        const responseFormat = yield* JSONSchema.fromSchema(schema, options)
        const response = yield* chat(new ChatRequest({ ...request, responseFormat }, { disableValidation: true }), model)
        const content = response.message.content
        const raw = typeof content === "string" ? content : content.filter((part) => typeof part === "string").join("")
        const json = stripThinking(raw)
        const parsed = yield* Effect.try({
          try: () => JSON.parse(json) as unknown,
          catch: (cause) =>
            new StructuredOutputError({ content: raw, message: `The model's answer is not JSON: ${String(cause)}`, cause })
        })
        return yield* Schema.decodeUnknown(schema)(parsed).pipe(
          Effect.mapError((error) =>
            new StructuredOutputError({
              content: raw,
              message: `The model's answer does not match the schema: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
            })
          )
        )
      })

    return { chat, chatWithStreaming, chatStructured }
  })

  static readonly layer: Layer.Layer<ChatCompletions, never, AlephAlphaHttp> = Layer.effect(
    ChatCompletions,
    ChatCompletions.make
  )
}
