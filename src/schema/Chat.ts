/**
 * `POST chat/completions` (api-reference §4.2): requests, responses and stream events.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import {
  arrayOf,
  type Coerce,
  fieldsOf,
  instanceOf,
  isInstance,
  isPlainObject,
  parseError,
  renamed as renameKeys
} from "./internal/plainInput.js"
import { setLeanEncoder } from "./internal/untypedInput.js"
import { Image } from "./Prompt.js"
import { type InputOf, SafeClass } from "./SafeClass.js"
import { JSONSchema, ResponseFormat } from "./StructuredOutput.js"

const renamed = <S extends Schema.Schema.All, K extends string>(schema: S, key: K) =>
  Schema.optionalWith(schema, { exact: true }).pipe(Schema.fromKey(key))

const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())
const PositiveInt = Schema.Int.pipe(Schema.positive())

// ---------------------------------------------------------------------------------------------
// messages

/** Who wrote a message. */
export const Role = Schema.Literal("system", "user", "assistant", "tool")
export type Role = typeof Role.Type

const mimeTypes: ReadonlyArray<readonly [prefix: string, mime: string]> = [
  ["/9j/", "image/jpeg"],
  ["iVBORw0KGgo", "image/png"],
  ["R0lGOD", "image/gif"],
  ["UklGR", "image/webp"],
  ["Qk", "image/bmp"],
  ["SUkq", "image/tiff"],
  ["TU0AK", "image/tiff"]
]

/** The MIME type of base64 image data, from its magic bytes (which survive base64 as a prefix). */
const mimeTypeOf = (base64: string): string | undefined =>
  mimeTypes.find(([prefix]) => base64.startsWith(prefix))?.[1]

const ImageUrlPart = Schema.Struct({
  type: Schema.Literal("image_url"),
  image_url: Schema.Struct({ url: Schema.String, detail: Schema.optional(Schema.String) })
})

/** A chat image: sent as a base64 data URI with the image's real MIME type. */
const ImagePart = Schema.transformOrFail(ImageUrlPart, Schema.instanceOf(Image), {
  strict: true,
  decode: (part, _, ast) => {
    const match = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s.exec(part.image_url.url)
    return match === null
      ? ParseResult.fail(new ParseResult.Type(ast, part, "expected a base64 data URL"))
      : ParseResult.succeed(new Image({ base64: match[2]! }, { disableValidation: true }))
  },
  encode: (image, _, ast) => {
    const mime = mimeTypeOf(image.base64)
    return mime === undefined
      ? ParseResult.fail(
        new ParseResult.Type(ast, image, "the image data is not a JPEG, PNG, GIF, WebP, BMP or TIFF image")
      )
      : ParseResult.succeed({ type: "image_url" as const, image_url: { url: `data:${mime};base64,${image.base64}` } })
  }
})

const TextPart = Schema.transform(
  Schema.Struct({ type: Schema.Literal("text"), text: Schema.String }),
  Schema.String,
  { strict: true, decode: (part) => part.text, encode: (text) => ({ type: "text" as const, text }) }
)

/** Message content: a string, or a list of text and `Image` parts. */
export const MessageContent = Schema.Union(Schema.String, Schema.Array(Schema.Union(TextPart, ImagePart)))
export type MessageContent = typeof MessageContent.Type

/**
 * Message content as a message accepts it: a string, or a list whose parts are strings and
 * images (`Image`, or a plain `{ type: "image", base64 }`) or wire parts
 * (`{ type: "text", text }`, `{ type: "image_url", image_url: { url } }` with a base64 data URL).
 */
export type MessageContentInput =
  | string
  | ReadonlyArray<
    | string
    | Image
    | (Exclude<ConstructorParameters<typeof Image>[0], void | undefined> & { readonly type: "image" })
    | typeof TextPart.Encoded
    | typeof ImageUrlPart.Encoded
  >

const decodeImagePart = Schema.decodeUnknownSync(ImagePart)

/** A content part in any accepted shape as a string or an `Image`. */
const contentPart: Coerce = (value, options) => {
  if (!isPlainObject(value) || isInstance(value, Image)) return value
  switch (value.type) {
    case "text":
      if (typeof value.text !== "string") throw parseError("text", value.text, "expected a string")
      return value.text
    case "image":
      return new Image(value as ConstructorParameters<typeof Image>[0], options)
    case "image_url":
      return decodeImagePart(value)
    default:
      return value
  }
}

/** The function a tool call invokes: its name and its arguments as a JSON string. */
export class FunctionCall extends SafeClass<FunctionCall>("aleph-alpha-client/FunctionCall")({
  name: Schema.String,
  /** A JSON document encoded as a string. */
  arguments: Schema.String
}) {}

/** A tool call in an assistant message, echoed back in the history after the tool ran. */
export class MessageToolCall extends SafeClass<
  MessageToolCall,
  { readonly function: InputOf<typeof FunctionCall> }
>("aleph-alpha-client/MessageToolCall")({
  id: Schema.NonEmptyString,
  type: Schema.optionalWith(Schema.Literal("function"), { default: () => "function" as const }),
  function: FunctionCall
}, undefined, fieldsOf({ function: instanceOf(FunctionCall) })) {}

type ToolCallsInput = ReadonlyArray<InputOf<typeof MessageToolCall>>

/**
 * The shapes a message accepts besides an instance: TypeScript (`toolCalls`, `toolCallId`) or
 * wire (`tool_calls`, `tool_call_id`) names, and `content: null` on an assistant message that
 * only calls tools (as OpenAI-style APIs send it; sent as `""`, the API requires content).
 */
type MessageShapes =
  | {
    readonly role: Role
    readonly content: MessageContentInput
    readonly toolCalls?: ToolCallsInput
    readonly toolCallId?: string
    readonly tool_calls?: never
    readonly tool_call_id?: never
  }
  | {
    readonly role: "assistant"
    readonly content: null
    readonly toolCalls: ToolCallsInput
    readonly toolCallId?: never
    readonly tool_calls?: never
    readonly tool_call_id?: never
  }
  | {
    readonly role: Role
    readonly content: MessageContentInput
    readonly tool_calls?: ToolCallsInput
    readonly tool_call_id?: string
    readonly toolCalls?: never
    readonly toolCallId?: never
  }
  | {
    readonly role: "assistant"
    readonly content: null
    readonly tool_calls: ToolCallsInput
    readonly tool_call_id?: never
    readonly toolCalls?: never
    readonly toolCallId?: never
  }

const messageNames = [["toolCalls", "tool_calls"], ["toolCallId", "tool_call_id"]] as const
const messageFields = fieldsOf({
  content: arrayOf(contentPart),
  toolCalls: arrayOf(instanceOf(MessageToolCall))
})

/** Plain shapes as fields; `content: null` as `""` where it is allowed. */
const messageInput = (props: Record<string, unknown>, options: Schema.MakeOptions | undefined) => {
  const fields = messageFields(renameKeys(props, messageNames), options)
  if (fields.content !== null) return fields
  if (fields.role === "assistant" && Array.isArray(fields.toolCalls) && fields.toolCalls.length > 0) {
    return { ...fields, content: "" }
  }
  throw parseError("content", null, "may be null only on an assistant message with tool calls")
}

/** One chat message. */
export class Message extends SafeClass<Message, MessageShapes>("aleph-alpha-client/Message")({
  role: Role,
  /** `null` is accepted on an assistant message with tool calls, and kept (and sent) as `""`. */
  content: MessageContent,
  /** On assistant messages that called tools. */
  toolCalls: renamed(Schema.Array(MessageToolCall), "tool_calls"),
  /** On `tool` messages: which call this answers. */
  toolCallId: renamed(Schema.NonEmptyString, "tool_call_id")
}, undefined, messageInput) {
  /** The content as text: the string itself, or the text parts joined (images left out). */
  get text(): string {
    return typeof this.content === "string"
      ? this.content
      : this.content.filter((part): part is string => typeof part === "string").join("")
  }
}

/** The Python client's name for a message with string content (what a response holds). */
export const TextMessage = Message
export type TextMessage = Message

/** Accepts `content: null` (tool-call answers may have none) as `""`. */
const ResponseMessage = Schema.transform(
  Schema.Struct({
    role: Role,
    content: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => "" }),
    tool_calls: Schema.optionalWith(Schema.NullOr(Schema.Array(Schema.encodedSchema(MessageToolCall))), {
      default: () => null
    })
  }),
  Schema.typeSchema(Message),
  {
    strict: false,
    // the tool calls are validated by their constructors; role and content by the struct above
    decode: (wire) =>
      new Message({
        role: wire.role,
        content: wire.content ?? "",
        ...(wire.tool_calls === null || wire.tool_calls.length === 0
          ? {}
          : {
            toolCalls: wire.tool_calls.map((call) =>
              new MessageToolCall({ id: call.id, function: new FunctionCall(call.function) })
            )
          })
      }, true),
    encode: (message) => ({
      role: message.role,
      content: typeof message.content === "string" ? message.content : message.content.filter((part) => typeof part === "string").join(""),
      tool_calls: message.toolCalls === undefined
        ? null
        : message.toolCalls.map((call) => ({ id: call.id, type: call.type, function: { name: call.function.name, arguments: call.function.arguments } }))
    })
  }
)

// ---------------------------------------------------------------------------------------------
// tools

/** A function the model may call. `parameters` is a JSON Schema object. */
export class FunctionDefinition extends SafeClass<FunctionDefinition>("aleph-alpha-client/FunctionDefinition")({
  /** `[a-zA-Z0-9_-]`, at most 64 characters. */
  name: Schema.String.pipe(Schema.pattern(/^[a-zA-Z0-9_-]{1,64}$/)),
  description: Schema.optionalWith(Schema.String, { exact: true }),
  parameters: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Unknown }), { exact: true }),
  /** Whether the arguments must follow `parameters` exactly. Server default: false. */
  strict: Schema.optionalWith(Schema.Boolean, { exact: true })
}) {}

/** A tool: `{"type": "function", "function": {...}}`. */
export class Tool extends SafeClass<Tool, { readonly function: InputOf<typeof FunctionDefinition> }>(
  "aleph-alpha-client/Tool"
)({
  type: Schema.optionalWith(Schema.Literal("function"), { default: () => "function" as const }),
  function: FunctionDefinition
}, undefined, fieldsOf({ function: instanceOf(FunctionDefinition) })) {
  /** A function tool. */
  static fn(definition: ConstructorParameters<typeof FunctionDefinition>[0]): Tool {
    return new Tool({ function: new FunctionDefinition(definition) })
  }
}

/** Whether and which tool the model must call. Server default: `none` without tools, `auto` with. */
export const ToolChoice = Schema.Union(
  Schema.Literal("none", "auto", "required"),
  Schema.Struct({ type: Schema.Literal("function"), function: Schema.Struct({ name: Schema.String }) })
)
export type ToolChoice = typeof ToolChoice.Type

/** `stream_options`. */
export class StreamOptions extends SafeClass<
  StreamOptions,
  {} | { readonly includeUsage?: never; readonly include_usage?: boolean }
>("aleph-alpha-client/StreamOptions")({
  /** Ask for a final usage event. */
  includeUsage: renamed(Schema.Boolean, "include_usage")
}, undefined, (props) => renameKeys(props, [["includeUsage", "include_usage"]])) {}

// ---------------------------------------------------------------------------------------------
// request

/** A chat request. Only the fields you set are sent. */
export class ChatRequest extends SafeClass<
  ChatRequest,
  {
    readonly messages: ReadonlyArray<InputOf<typeof Message>>
    readonly streamOptions?: InputOf<typeof StreamOptions>
    readonly responseFormat?: InputOf<typeof JSONSchema>
    readonly tools?: ReadonlyArray<InputOf<typeof Tool>>
  }
>("aleph-alpha-client/ChatRequest")({
  /** The model; the `model` argument of `chat` wins over it. */
  model: Schema.optionalWith(Schema.NonEmptyString, { exact: true }),
  /** At least one: `Message`s or plain objects (`{ role: "user", content: "Hi" }`). */
  messages: Schema.Array(Message).pipe(Schema.minItems(1, { message: () => "at least one message is required" })),
  /**
   * The most tokens to generate. Sent as `max_tokens`, the name in the API description (the
   * official Rust client sends it too); the Python client's `maximum_tokens` is not documented.
   */
  maximumTokens: renamed(PositiveInt, "max_tokens"),
  /** Sampling temperature, 0…2. Server default: 1. */
  temperature: Schema.optionalWith(Schema.Finite.pipe(Schema.between(0, 2)), { exact: true }),
  /** Nucleus sampling, 0…1. Server default: 1. */
  topP: renamed(Schema.Finite.pipe(Schema.between(0, 1)), "top_p"),
  /** Python-only and not in the API description; some deployments reject it. */
  topK: renamed(NonNegativeInt, "top_k"),
  frequencyPenalty: renamed(Schema.Finite.pipe(Schema.between(-2, 2)), "frequency_penalty"),
  presencePenalty: renamed(Schema.Finite.pipe(Schema.between(-2, 2)), "presence_penalty"),
  stop: Schema.optionalWith(Schema.Union(Schema.String, Schema.Array(Schema.String)), { exact: true }),
  /** Return the log-probabilities of the sampled tokens. */
  logprobs: Schema.optionalWith(Schema.Boolean, { exact: true }),
  /** How many alternatives per position to return with `logprobs`, 0…20. */
  topLogprobs: renamed(Schema.Int.pipe(Schema.between(0, 20)), "top_logprobs"),
  /** How many choices to generate. */
  n: Schema.optionalWith(PositiveInt, { exact: true }),
  /** Token id → bias (−100…100). */
  logitBias: renamed(
    Schema.Record({
      key: Schema.String.pipe(Schema.pattern(/^\d+$/, { message: () => "logit_bias keys are token ids" })),
      value: Schema.Finite.pipe(Schema.between(-100, 100))
    }),
    "logit_bias"
  ),
  streamOptions: renamed(StreamOptions, "stream_options"),
  /** Steering concept ids (only one at a time is supported by the API). */
  steeringConcepts: renamed(Schema.Array(Schema.String), "steering_concepts"),
  responseFormat: renamed(ResponseFormat, "response_format"),
  /** At most 128. */
  tools: Schema.optionalWith(Schema.Array(Tool).pipe(Schema.maxItems(128)), { exact: true }),
  toolChoice: renamed(ToolChoice, "tool_choice")
}, undefined, fieldsOf({
  messages: arrayOf(instanceOf(Message)),
  streamOptions: instanceOf(StreamOptions),
  responseFormat: instanceOf(JSONSchema),
  tools: arrayOf(instanceOf(Tool))
})) {}

// A plain request, checked by hand: the scalar options (name, wire name, the schema's check) and
// the fields that hold structures, with any of which a request goes through the schema.
const isSafeInt = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value)
const isBetween = (min: number, max: number) => (value: unknown) =>
  typeof value === "number" && Number.isFinite(value) && value >= min && value <= max
const plainOptions: ReadonlyArray<readonly [string, string, (value: unknown) => boolean]> = [
  ["maximumTokens", "max_tokens", (value) => isSafeInt(value) && value > 0],
  ["temperature", "temperature", isBetween(0, 2)],
  ["topP", "top_p", isBetween(0, 1)],
  ["topK", "top_k", (value) => isSafeInt(value) && value >= 0],
  ["frequencyPenalty", "frequency_penalty", isBetween(-2, 2)],
  ["presencePenalty", "presence_penalty", isBetween(-2, 2)],
  ["stop", "stop", (value) => typeof value === "string" || (Array.isArray(value) && isStringArray(value))],
  ["logprobs", "logprobs", (value) => typeof value === "boolean"],
  ["topLogprobs", "top_logprobs", (value) => isSafeInt(value) && value >= 0 && value <= 20],
  ["n", "n", (value) => isSafeInt(value) && value > 0]
]
/** Every index a string (`every` would pass over holes, which the schema reads as `undefined`). */
const isStringArray = (array: ReadonlyArray<unknown>) => {
  for (let i = 0; i < array.length; i++) if (typeof array[i] !== "string") return false
  return true
}
const structuredFields = ["logitBias", "streamOptions", "steeringConcepts", "responseFormat", "tools", "toolChoice"]
const requestRoles: ReadonlySet<unknown> = new Set(Role.literals)

/**
 * The wire JSON of a plain `ChatRequest` instance (text messages, scalar options: nearly every
 * request), checked by hand as the schema's encoding checks it (0.5 µs against 8 µs through the
 * schema); `undefined` for anything else, which goes through the schema. A property test keeps
 * the two equal.
 * @internal
 */
export const encodePlainChatRequest = (value: unknown): typeof ChatRequest.Encoded | undefined => {
  if (!(value instanceof ChatRequest)) return undefined
  const request = value as unknown as Record<string, unknown>
  for (const field of structuredFields) if (Object.hasOwn(request, field)) return undefined
  const wire: Record<string, unknown> = {}
  if (Object.hasOwn(request, "model")) {
    if (typeof request.model !== "string" || request.model === "") return undefined
    wire.model = request.model
  }
  const messages = request.messages
  if (!Array.isArray(messages) || messages.length === 0) return undefined
  const wireMessages = new Array<{ readonly role: string; readonly content: string }>(messages.length)
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i]
    if (!(message instanceof Message) || Object.hasOwn(message, "toolCalls") || Object.hasOwn(message, "toolCallId")) {
      return undefined
    }
    if (!requestRoles.has(message.role) || typeof message.content !== "string") return undefined
    wireMessages[i] = { role: message.role, content: message.content }
  }
  wire.messages = wireMessages
  for (const [field, wireName, check] of plainOptions) {
    if (!Object.hasOwn(request, field)) continue
    const option = request[field]
    if (!check(option)) return undefined
    wire[wireName] = option
  }
  return wire as typeof ChatRequest.Encoded
}

setLeanEncoder(ChatRequest, encodePlainChatRequest)

export declare namespace ChatRequest {
  /** What `new ChatRequest`, `ChatRequest.make` and the chat methods accept. */
  export type Input = InputOf<typeof ChatRequest>
}

export declare namespace Message {
  /** A `Message` or a plain message, as `messages` holds them. */
  export type Input = InputOf<typeof Message>
}

export declare namespace Tool {
  /** A `Tool` or a plain `{ type?: "function", function: { name, description?, parameters?, strict? } }`. */
  export type Input = InputOf<typeof Tool>
}

// ---------------------------------------------------------------------------------------------
// response

/** Why a choice stopped. */
export const FinishReason = Schema.Literal("stop", "length", "content_filter", "tool_calls")
export type FinishReason = typeof FinishReason.Type

/** One alternative token and its log-probability. */
export class TopLogprob extends Schema.Class<TopLogprob>("aleph-alpha-client/TopLogprob")({
  token: Schema.String,
  logprob: Schema.Number,
  bytes: Schema.optional(Schema.NullOr(Schema.Array(Schema.Int)))
}) {}

/** The log-probability of one sampled token (`-9999` when the worker had none). */
export class LogprobEntry extends Schema.Class<LogprobEntry>("aleph-alpha-client/LogprobEntry")({
  token: Schema.String,
  logprob: Schema.Number,
  bytes: Schema.optional(Schema.NullOr(Schema.Array(Schema.Int))),
  topLogprobs: Schema.optionalWith(Schema.Array(TopLogprob), { default: () => [] }).pipe(
    Schema.fromKey("top_logprobs")
  )
}) {}

/** `logprobs` of a choice. */
export class ChatLogprobs extends Schema.Class<ChatLogprobs>("aleph-alpha-client/ChatLogprobs")({
  content: Schema.optionalWith(Schema.NullOr(Schema.Array(LogprobEntry)), { default: () => null })
}) {}

/** Token counts of a chat call; also the stream's usage event. */
export class Usage extends Schema.Class<Usage>("aleph-alpha-client/Usage")({
  promptTokens: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("prompt_tokens")),
  completionTokens: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("completion_tokens")),
  totalTokens: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("total_tokens"))
}) {
  readonly _tag = "Usage" as const
}

/** One choice of a chat response. */
export class ChatChoice extends Schema.Class<ChatChoice>("aleph-alpha-client/ChatChoice")({
  index: Schema.optionalWith(Schema.Int, { default: () => 0 }),
  finishReason: Schema.propertySignature(Schema.NullOr(FinishReason)).pipe(Schema.fromKey("finish_reason")),
  message: ResponseMessage,
  logprobs: Schema.optionalWith(Schema.NullOr(ChatLogprobs), { default: () => null })
}) {
  /** The tool calls of the message (`[]` when none). */
  get toolCalls(): ReadonlyArray<MessageToolCall> {
    return this.message.toolCalls ?? []
  }
}

/** The answer of `chat`. */
export class ChatResponse extends Schema.Class<ChatResponse>("aleph-alpha-client/ChatResponse")({
  /** Absent on responses assembled from a stream. */
  id: Schema.optional(Schema.String),
  choices: Schema.Array(ChatChoice),
  created: Schema.optional(Schema.Int),
  model: Schema.optional(Schema.String),
  systemFingerprint: Schema.optional(Schema.NullOr(Schema.String)).pipe(Schema.fromKey("system_fingerprint")),
  usage: Schema.optionalWith(Schema.NullOr(Usage), { default: () => null })
}) {
  /** The first choice's message, as Python's `ChatResponse.message`. */
  get message(): Message {
    return this.choices[0]?.message ?? new Message({ role: "assistant", content: "" })
  }

  /** The first choice's finish reason. */
  get finishReason(): FinishReason | null {
    return this.choices[0]?.finishReason ?? null
  }

  /** Accumulates a chat stream into the response the non-streaming call returns. */
  static fromStream<E, R>(stream: Stream.Stream<ChatStreamEvent, E, R>): Effect.Effect<ChatResponse, E, R> {
    return Effect.map(
      Stream.runFold(stream, new ChatAccumulator(), (acc, event) => acc.add(event)),
      (acc) => acc.toResponse()
    )
  }
}

/** `usage` as the wire sends it, in answers and in stream chunks. */
const UsageWire = Schema.Struct({
  prompt_tokens: Schema.Int,
  completion_tokens: Schema.Int,
  total_tokens: Schema.Int
})

// The answer as the wire sends it: plain structs, compiled once, wrapped in the classes without
// re-validation (DESIGN §5, hot path). Measured: 8 µs per answer instead of 34 µs through the
// nested classes. What is rare (tool calls, log-probabilities) keeps its class schema.
const ChatResponseWire = Schema.Struct({
  id: Schema.optional(Schema.String),
  choices: Schema.Array(Schema.Struct({
    index: Schema.optional(Schema.Int),
    finish_reason: Schema.NullOr(FinishReason),
    message: ResponseMessage,
    logprobs: Schema.optional(Schema.NullOr(ChatLogprobs))
  })),
  created: Schema.optional(Schema.Int),
  model: Schema.optional(Schema.String),
  system_fingerprint: Schema.optional(Schema.NullOr(Schema.String)),
  usage: Schema.optional(Schema.NullOr(UsageWire))
})

type ChatChoiceWire = typeof ChatResponseWire.Type["choices"][number]

/** The classes of a decoded wire answer (its `choices` given apart), built without re-validation. */
const responseFromWire = (
  wire: Omit<typeof ChatResponseWire.Type, "choices">,
  choices: ReadonlyArray<ChatChoiceWire>
): ChatResponse => {
  // the fields in the class's order, as its own schema would set them
  const props: { -readonly [K in keyof ChatResponse]?: ChatResponse[K] } = {}
  if ("id" in wire) props.id = wire.id
  props.choices = choices.map((choice) =>
    new ChatChoice({
      index: choice.index ?? 0,
      finishReason: choice.finish_reason,
      message: choice.message,
      logprobs: choice.logprobs ?? null
    }, true)
  )
  if ("created" in wire) props.created = wire.created
  if ("model" in wire) props.model = wire.model
  if ("system_fingerprint" in wire) props.systemFingerprint = wire.system_fingerprint
  props.usage = wire.usage == null
    ? null
    : new Usage({
      promptTokens: wire.usage.prompt_tokens,
      completionTokens: wire.usage.completion_tokens,
      totalTokens: wire.usage.total_tokens
    }, true)
  return new ChatResponse(props as ConstructorParameters<typeof ChatResponse>[0], true)
}

/**
 * `ChatResponse` decoded from the wire through flat structs; the same result as the class's
 * own schema.
 * @internal used by `ChatCompletions`
 */
export const ChatResponseFromWire: Schema.Schema<ChatResponse, typeof ChatResponseWire.Encoded> = Schema.transform(
  ChatResponseWire,
  Schema.typeSchema(ChatResponse),
  {
    strict: false,
    decode: (wire) => responseFromWire(wire, wire.choices),
    encode: (response) => ({
      ...("id" in response ? { id: response.id } : {}),
      choices: response.choices.map((choice) => ({
        index: choice.index,
        finish_reason: choice.finishReason,
        message: choice.message,
        logprobs: choice.logprobs
      })),
      ...("created" in response ? { created: response.created } : {}),
      ...("model" in response ? { model: response.model } : {}),
      ...("systemFingerprint" in response ? { system_fingerprint: response.systemFingerprint } : {}),
      usage: response.usage === null
        ? null
        : {
          prompt_tokens: response.usage.promptTokens,
          completion_tokens: response.usage.completionTokens,
          total_tokens: response.usage.totalTokens
        }
    })
  }
)

// ---------------------------------------------------------------------------------------------
// stream events

/** A content delta of choice `index`; the first carries the `role`. */
export class ChatStreamChunk extends Data.TaggedClass("ChatStreamChunk")<{
  readonly index: number
  readonly content: string
  readonly role: Role | undefined
  readonly logprobs: ReadonlyArray<LogprobEntry> | undefined
}> {}

/** A tool call of choice `index`, assembled from its fragments, emitted whole. */
export class ToolCall extends Data.TaggedClass("ToolCall")<{
  readonly index: number
  readonly id: string
  readonly type: "function"
  readonly function: { readonly name: string; readonly arguments: string }
}> {
  /** The call as it goes back into the history on an assistant message. */
  toMessageToolCall(): MessageToolCall {
    return new MessageToolCall({ id: this.id, function: new FunctionCall(this.function) })
  }
}

/** Choice `index` finished. */
export class ChatFinish extends Data.TaggedClass("ChatFinish")<{
  readonly index: number
  readonly finishReason: FinishReason
}> {}

/** What `chatWithStreaming` emits. `Usage` comes last, when `streamOptions.includeUsage` is set. */
export type ChatStreamEvent = ChatStreamChunk | ToolCall | ChatFinish | Usage

class ChoiceState {
  role: Role = "assistant"
  content = ""
  toolCalls: Array<MessageToolCall> = []
  finishReason: FinishReason | null = null
  logprobs: Array<LogprobEntry> | undefined = undefined
}

class ChatAccumulator {
  private readonly choices = new Map<number, ChoiceState>()
  private usage: Usage | null = null

  private choice(index: number): ChoiceState {
    let state = this.choices.get(index)
    if (state === undefined) this.choices.set(index, state = new ChoiceState())
    return state
  }

  add(event: ChatStreamEvent): this {
    switch (event._tag) {
      case "ChatStreamChunk": {
        const state = this.choice(event.index)
        if (event.role !== undefined) state.role = event.role
        state.content += event.content
        if (event.logprobs !== undefined) (state.logprobs ??= []).push(...event.logprobs)
        break
      }
      case "ToolCall":
        this.choice(event.index).toolCalls.push(event.toMessageToolCall())
        break
      case "ChatFinish":
        this.choice(event.index).finishReason = event.finishReason
        break
      case "Usage":
        this.usage = event
    }
    return this
  }

  toResponse(): ChatResponse {
    const choices = [...this.choices.entries()].sort(([a], [b]) => a - b).map(([index, state]) =>
      new ChatChoice({
        index,
        finishReason: state.finishReason,
        message: new Message({
          role: state.role,
          content: state.content,
          ...(state.toolCalls.length === 0 ? {} : { toolCalls: state.toolCalls })
        }),
        logprobs: state.logprobs === undefined ? null : new ChatLogprobs({ content: state.logprobs })
      })
    )
    return new ChatResponse({ choices, usage: this.usage })
  }
}

// The chunk as the wire sends it: plain structs, compiled once (DESIGN §5, hot path).
const ToolCallFragment = Schema.Struct({
  index: Schema.optional(Schema.Int),
  id: Schema.optional(Schema.NullOr(Schema.String)),
  type: Schema.optional(Schema.NullOr(Schema.String)),
  function: Schema.optional(Schema.NullOr(Schema.Struct({
    name: Schema.optional(Schema.NullOr(Schema.String)),
    arguments: Schema.optional(Schema.NullOr(Schema.String))
  })))
})

const WireLogprob = Schema.Struct({
  token: Schema.String,
  logprob: Schema.Number,
  bytes: Schema.optional(Schema.NullOr(Schema.Array(Schema.Number))),
  top_logprobs: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({
    token: Schema.String,
    logprob: Schema.Number,
    bytes: Schema.optional(Schema.NullOr(Schema.Array(Schema.Number)))
  }))))
})

const ChatChunkWire = Schema.Struct({
  choices: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({
    index: Schema.optional(Schema.Int),
    finish_reason: Schema.optional(Schema.NullOr(FinishReason)),
    delta: Schema.optional(Schema.NullOr(Schema.Struct({
      role: Schema.optional(Schema.NullOr(Role)),
      content: Schema.optional(Schema.NullOr(Schema.String)),
      tool_calls: Schema.optional(Schema.NullOr(Schema.Array(ToolCallFragment)))
    }))),
    logprobs: Schema.optional(Schema.NullOr(Schema.Struct({
      content: Schema.optional(Schema.NullOr(Schema.Array(WireLogprob)))
    })))
  })))),
  usage: Schema.optional(Schema.NullOr(UsageWire))
})

/** The chunk schema itself. @internal for tests */
export const decodeChatChunkWithSchema = Schema.decodeUnknownEither(ChatChunkWire)

const finishReasons: ReadonlySet<unknown> = new Set(FinishReason.literals)
const roles: ReadonlySet<unknown> = new Set(Role.literals)
const isAbsent = (value: unknown) => value === null || value === undefined
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)
const isCount = (value: unknown) => typeof value === "number" && Number.isSafeInteger(value)

/**
 * Whether `value` is a plain text chunk that `ChatChunkWire` accepts: choices with content
 * deltas, finish reasons and usage, no tool calls or log-probabilities. It checks what the
 * schema checks, and the fields read afterwards are the same.
 */
const isPlainTextChunk = (value: unknown): value is ChatChunkWire => {
  if (!isObject(value)) return false
  const usage = value.usage
  if (!isAbsent(usage)) {
    if (!isObject(usage) || !isCount(usage.prompt_tokens) || !isCount(usage.completion_tokens) || !isCount(usage.total_tokens)) {
      return false
    }
  }
  const choices = value.choices
  if (isAbsent(choices)) return true
  if (!Array.isArray(choices)) return false
  for (const choice of choices) {
    if (!isObject(choice)) return false
    if (choice.index !== undefined && !isCount(choice.index)) return false
    if (!isAbsent(choice.finish_reason) && !finishReasons.has(choice.finish_reason)) return false
    if (!isAbsent(choice.logprobs)) return false
    const delta = choice.delta
    if (isAbsent(delta)) continue
    if (!isObject(delta) || !isAbsent(delta.tool_calls)) return false
    if (!isAbsent(delta.role) && !roles.has(delta.role)) return false
    if (!isAbsent(delta.content) && typeof delta.content !== "string") return false
  }
  return true
}

const isOptionalString = (value: unknown) => value === undefined || typeof value === "string"

/**
 * A plain chat answer (text messages, no tool calls or log-probabilities: nearly every answer)
 * as its classes, checked by hand; `undefined` for anything else. It checks what
 * `ChatResponseWire` checks, and builds what {@link ChatResponseFromWire} builds.
 */
const plainAnswer = (value: unknown): ChatResponse | undefined => {
  if (!isObject(value) || !Array.isArray(value.choices)) return undefined
  if (!isOptionalString(value.id) || !isOptionalString(value.model)) return undefined
  if (value.created !== undefined && !isCount(value.created)) return undefined
  if (value.system_fingerprint !== null && !isOptionalString(value.system_fingerprint)) return undefined
  const usage = value.usage
  if (
    !isAbsent(usage) &&
    (!isObject(usage) || !isCount(usage.prompt_tokens) || !isCount(usage.completion_tokens) || !isCount(usage.total_tokens))
  ) return undefined
  const choices = new Array<ChatChoiceWire>(value.choices.length)
  for (let i = 0; i < choices.length; i++) {
    const choice: unknown = value.choices[i]
    if (!isObject(choice) || !isAbsent(choice.logprobs)) return undefined
    if (choice.index !== undefined && !isCount(choice.index)) return undefined
    if (choice.finish_reason !== null && !finishReasons.has(choice.finish_reason)) return undefined
    const message = choice.message
    if (!isObject(message) || !roles.has(message.role) || !isAbsent(message.tool_calls)) return undefined
    if (!isAbsent(message.content) && typeof message.content !== "string") return undefined
    choices[i] = {
      index: choice.index as number | undefined,
      finish_reason: choice.finish_reason as FinishReason | null,
      message: new Message({ role: message.role as Role, content: (message.content as string | null | undefined) ?? "" }, true),
      logprobs: null
    }
  }
  return responseFromWire(value as typeof ChatResponseWire.Type, choices)
}

/**
 * What `chat` decodes its answer with: plain answers checked by hand (3 µs against 21 µs
 * through the wire structs, a twentieth of a chat call's CPU), anything else through
 * {@link ChatResponseFromWire}, whose errors it returns as they are. A property test keeps the
 * two equal.
 * @internal used by `ChatCompletions`
 */
export const ChatResponseDecoder: Schema.Schema<ChatResponse, typeof ChatResponseWire.Encoded> = Schema.declare([], {
  decode: () => {
    const viaWire = ParseResult.decodeUnknown(ChatResponseFromWire)
    return (input, options) => {
      const plain = plainAnswer(input)
      return plain === undefined ? viaWire(input, options) : ParseResult.succeed(plain)
    }
  },
  encode: () => ParseResult.encodeUnknown(ChatResponseFromWire)
}, { identifier: "ChatResponse" })

/**
 * Decodes one parsed chunk; the caller maps the `ParseError`. Plain text chunks, nearly all of
 * a stream, are checked by hand (0.03 µs against 6.7 µs through the schema, which is a third of
 * a chat stream's cost per event); anything else goes through the schema.
 * @internal used by `ChatCompletions`
 */
export const decodeChatChunk = (value: unknown): Either.Either<ChatChunkWire, ParseResult.ParseError> =>
  isPlainTextChunk(value) ? Either.right(value) : decodeChatChunkWithSchema(value)

type ChatChunkWire = typeof ChatChunkWire.Type

// a chat chunk with a content delta and nothing else, byte for byte as the API writes it; its
// strings hold nothing that a JSON string holds only escaped or ends at (so `JSON.parse` reads
// them as they are), its integers have no leading zero and stay safe
const plainString = String.raw`"[^"\\\x00-\x1f]*"`
const plainInteger = String.raw`(?:0|[1-9][0-9]{0,14})`
const plainChatChunkText = new RegExp(
  String.raw`^\{"id":${plainString},"choices":\[\{"finish_reason":null,"index":(${plainInteger}),` +
    String.raw`"delta":\{"content":"([^"\\\x00-\x1f]+)"\},"logprobs":null\}\],"created":${plainInteger},` +
    String.raw`"model":${plainString},"system_fingerprint":(?:null|${plainString}),` +
    String.raw`"object":"chat\.completion\.chunk","usage":null\}$`
)

/**
 * A content delta read straight off the event's data, as the API writes it (see
 * `plainChatChunkText`), without `JSON.parse`, `decodeChatChunk` and the assembler (0.12 µs
 * against 1.15 µs for `JSON.parse` alone; with the decoding and garbage it skips, half of a chat
 * stream's CPU per event); `undefined` for any other text, which then goes through them. A
 * property test keeps the two equal.
 * @internal used by `ChatCompletions`
 */
export const plainChatChunkFromData = (data: string): ChatStreamChunk | undefined => {
  const match = plainChatChunkText.exec(data)
  if (match === null) return undefined
  const content = match[2]!
  // a copy: a slice would keep the whole network read's text alive as long as the event
  return plainChatChunk(Number(match[1]), content.length < 13 ? content : (" " + content).slice(1))
}

/**
 * `new ChatStreamChunk` of a content delta: the same own fields in the same order on the same
 * prototype, without the constructor's generic copy of its argument.
 */
const plainChatChunk = (index: number, content: string): ChatStreamChunk => {
  const chunk = Object.create(ChatStreamChunk.prototype)
  chunk.index = index
  chunk.content = content
  chunk.role = undefined
  chunk.logprobs = undefined
  chunk._tag = "ChatStreamChunk"
  return chunk
}

interface PendingToolCall {
  id: string
  name: string
  arguments: string
}

/**
 * Turns wire chunks into events, assembling tool calls from their fragments per choice and
 * tool index. One per stream: it keeps the fragments seen so far.
 * @internal used by `ChatCompletions`
 */
export class ChatEventAssembler {
  private readonly pending = new Map<number, Map<number, PendingToolCall>>()

  push(chunk: ChatChunkWire, out: Array<ChatStreamEvent>): void {
    for (const choice of chunk.choices ?? []) {
      const index = choice.index ?? 0
      const delta = choice.delta
      const fragments = delta?.tool_calls
      if (fragments != null) this.addFragments(index, fragments)
      const logprobs = choice.logprobs?.content
      const content = delta?.content ?? ""
      const role = delta?.role ?? undefined
      if (content !== "" || role !== undefined || (logprobs != null && logprobs.length > 0)) {
        out.push(
          new ChatStreamChunk({
            index,
            content,
            role,
            logprobs: logprobs == null ? undefined : logprobs.map(toLogprobEntry)
          })
        )
      }
      if (choice.finish_reason != null) {
        this.flush(index, out)
        out.push(new ChatFinish({ index, finishReason: choice.finish_reason }))
      }
    }
    const usage = chunk.usage
    if (usage != null) {
      out.push(
        new Usage({
          promptTokens: usage.prompt_tokens,
          completionTokens: usage.completion_tokens,
          totalTokens: usage.total_tokens
        }, { disableValidation: true })
      )
    }
  }

  private addFragments(index: number, fragments: ReadonlyArray<typeof ToolCallFragment.Type>): void {
    let calls = this.pending.get(index)
    if (calls === undefined) this.pending.set(index, calls = new Map())
    for (const fragment of fragments) {
      const toolIndex = fragment.index ?? 0
      const existing = calls.get(toolIndex)
      const args = fragment.function?.arguments ?? ""
      if (existing === undefined) {
        calls.set(toolIndex, { id: fragment.id ?? "", name: fragment.function?.name ?? "", arguments: args })
      } else {
        existing.arguments += args
        if (fragment.id != null && existing.id === "") existing.id = fragment.id
        if (fragment.function?.name != null && existing.name === "") existing.name = fragment.function.name
      }
    }
  }

  private flush(index: number, out: Array<ChatStreamEvent>): void {
    const calls = this.pending.get(index)
    if (calls === undefined) return
    this.pending.delete(index)
    // a Map iterates in insertion order: the order of first appearance
    for (const call of calls.values()) {
      out.push(
        new ToolCall({ index, id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } })
      )
    }
  }
}

const toLogprobEntry = (entry: typeof WireLogprob.Type): LogprobEntry =>
  new LogprobEntry({
    token: entry.token,
    logprob: entry.logprob,
    bytes: entry.bytes ?? null,
    topLogprobs: (entry.top_logprobs ?? []).map((top) =>
      new TopLogprob({ token: top.token, logprob: top.logprob, bytes: top.bytes ?? null }, { disableValidation: true })
    )
  }, { disableValidation: true })
