/**
 * The tool loop behind `chatWithTools` and `chatWithToolsStreaming`: ask the model, run the
 * tools it calls (in parallel), append their results, ask again, until an answer without tool
 * calls or `maxRounds` model calls.
 *
 * Arguments the model got wrong (not JSON, not matching the tool's schema, an unknown tool) are
 * not a failure of the call: the model is told what was wrong, as the tool's result, and may
 * correct itself in the next round. A handler's own failure ends the loop with that failure.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import {
  type ApiError,
  DecodeError,
  MaxRoundsExceededError,
  ToolResultError,
  type ToolLoopError,
  ValidationError
} from "../errors/AlephAlphaError.js"
import {
  ChatRequest,
  ChatResponse,
  type ChatStreamEvent,
  Message,
  type MessageToolCall,
  type Tool
} from "../schema/Chat.js"
import {
  ChatTool,
  type ChatWithToolsEvent,
  type ChatWithToolsOptions,
  type ChatWithToolsResult,
  ToolResult
} from "../schema/ChatTool.js"
import { formatParseError } from "../schema/internal/parseErrorText.js"
import { describeThrown, validationErrorFromThrow } from "../schema/internal/thrown.js"

/** `maxRounds` unless told otherwise. */
export const DEFAULT_MAX_ROUNDS = 10

/** The two calls the loop makes, as `ChatCompletions` has them. */
export interface ChatCalls {
  readonly chat: (request: ChatRequest, model?: string) => Effect.Effect<ChatResponse, ApiError>
  readonly chatWithStreaming: (request: ChatRequest, model?: string) => Stream.Stream<ChatStreamEvent, ApiError>
}

type AnyHandler = (params: unknown) => Effect.Effect<unknown, unknown, unknown>

interface Entry {
  readonly tool: ChatTool.Any
  readonly handler: AnyHandler
}

/** A call, its options and its tools, read once and checked. */
interface Plan {
  readonly fields: ChatRequest
  readonly messages: ReadonlyArray<Message>
  readonly model: string | undefined
  readonly tools: ReadonlyArray<Tool>
  readonly entries: ReadonlyMap<string, Entry>
  readonly maxRounds: number
  readonly concurrency: number | "unbounded"
}

const invalidOptions = (path: string, issue: string) => new ValidationError({ path, issue, subject: "ChatWithToolsOptions" })
const invalidRequest = (path: string, issue: string) => new ValidationError({ path, issue, subject: "ChatRequest" })

const isPositiveInt = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value) && value > 0

/** Reads the request and the options (from untyped code they may be anything) and derives the tools. */
const plan = (request: ChatRequest.Input, untyped: ChatWithToolsOptions<ReadonlyArray<ChatTool.Any>, unknown>) =>
  Effect.gen(function*() {
    let options: ChatWithToolsOptions<ReadonlyArray<ChatTool.Any>, unknown>
    let tools: Array<ChatTool.Any>
    const handlers = new Map<string, unknown>()
    // a plain request becomes the class here, so the rounds append to messages that are classes
    const fields = { ...(yield* ChatRequest.make(request)) }
    if (fields.tools !== undefined) {
      return yield* invalidRequest("tools", "chatWithTools sets the tools from its options; leave tools unset")
    }
    if (fields.n !== undefined && fields.n !== 1) {
      return yield* invalidRequest("n", "the tool loop follows one answer; leave n unset or 1")
    }
    const messages: ReadonlyArray<Message> = fields.messages
    try {
      if (typeof untyped !== "object" || untyped === null) return yield* invalidOptions("", "expected an options object with tools and handlers")
      options = { ...untyped }
      if (!Array.isArray(options.tools)) return yield* invalidOptions("tools", "expected an array of ChatTool.make tools")
      tools = [...options.tools]
      const given = options.handlers
      if (typeof given !== "object" || given === null) return yield* invalidOptions("handlers", "expected an object of handlers by tool name")
      for (const [name, handler] of Object.entries(given)) handlers.set(name, handler)
    } catch (thrown) {
      return yield* validationErrorFromThrow(thrown, untyped, "ChatWithToolsOptions")
    }
    const maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS
    if (!isPositiveInt(maxRounds)) return yield* invalidOptions("maxRounds", "expected a positive integer")
    const concurrency = options.concurrency ?? "unbounded"
    if (concurrency !== "unbounded" && !isPositiveInt(concurrency)) {
      return yield* invalidOptions("concurrency", "expected a positive integer")
    }
    if (tools.length === 0) return yield* invalidOptions("tools", "expected at least one tool")
    const entries = new Map<string, Entry>()
    const wire: Array<Tool> = []
    for (const [i, tool] of tools.entries()) {
      const derived = yield* ChatTool.toTool(tool).pipe(
        Effect.mapError((error) =>
          invalidOptions(error.path === "" ? `tools.${i}` : `tools.${i}.${error.path}`, error.issue)
        )
      )
      const name = derived.function.name
      if (entries.has(name)) return yield* invalidOptions(`tools.${i}.name`, `two tools are named ${name}`)
      const handler = handlers.get(name)
      if (typeof handler !== "function") return yield* invalidOptions(`handlers.${name}`, "expected a function (the tool's handler)")
      entries.set(name, { tool, handler: handler as AnyHandler })
      wire.push(derived)
    }
    return {
      fields,
      messages,
      model: options.model,
      tools: wire,
      entries,
      maxRounds,
      concurrency
    } satisfies Plan
  })

/** The request of one round: the first keeps the request's `toolChoice`; later ones leave it to the model. */
const requestOf = (plan: Plan, round: number, messages: ReadonlyArray<Message>): ChatRequest => {
  const { toolChoice, ...rest } = plan.fields
  return new ChatRequest({
    ...rest,
    messages,
    tools: plan.tools,
    ...(round === 1 && toolChoice !== undefined ? { toolChoice } : {})
  }, { disableValidation: true })
}

const failed = (round: number, call: MessageToolCall, content: string) =>
  new ToolResult({
    round,
    id: call.id,
    name: call.function.name,
    arguments: call.function.arguments,
    result: undefined,
    content,
    isFailure: true
  })

/** The handler's value as the text of the tool message: through the success schema, strings as they are, the rest as JSON. */
const contentOf = (tool: ChatTool.Any, value: unknown): Effect.Effect<string, ToolResultError> =>
  Effect.gen(function*() {
    const name = tool.name
    const encoded = tool.success === undefined ? value : yield* Effect.suspend(() => Schema.encodeUnknown(tool.success!)(value)).pipe(
      Effect.mapError((error) =>
        new ToolResultError({ tool: name, message: `The result of ${name} does not match its success schema: ${formatParseError(error)}` })
      ),
      Effect.catchAllDefect((defect) =>
        new ToolResultError({ tool: name, message: `The result of ${name} could not be encoded: ${describeThrown(defect)}` })
      )
    )
    if (typeof encoded === "string") return encoded
    return yield* Effect.try({
      try: () => JSON.stringify(encoded) ?? "null",
      catch: (cause) => new ToolResultError({ tool: name, message: `The result of ${name} is not JSON: ${describeThrown(cause)}`, cause })
    })
  })

/** Runs one tool call: a failed result for the model when the call is wrong, the handler's failure as it is. */
const runCall = (plan: Plan, round: number, call: MessageToolCall): Effect.Effect<ToolResult, unknown, unknown> => {
  const name = call.function.name
  const entry = plan.entries.get(name)
  if (entry === undefined) {
    return Effect.succeed(failed(round, call, `There is no tool named ${JSON.stringify(name)}; the tools are ${[...plan.entries.keys()].join(", ")}.`))
  }
  let json: unknown
  try {
    // a call without arguments may send none at all
    json = call.function.arguments.trim() === "" ? {} : JSON.parse(call.function.arguments)
  } catch (cause) {
    return Effect.succeed(failed(round, call, `The arguments of ${name} are not JSON (${describeThrown(cause)}); call it again with JSON arguments.`))
  }
  const invalidArguments = (issue: string) =>
    failed(round, call, `The arguments of ${name} do not match its parameters: ${issue}. Call it again with valid arguments.`)
  return Effect.suspend(() => Schema.decodeUnknown(entry.tool.parameters)(json)).pipe(
    Effect.map((params) => ({ params })),
    Effect.catchAll((error) => Effect.succeed(invalidArguments(formatParseError(error)))),
    Effect.catchAllDefect((defect) => Effect.succeed(invalidArguments(describeThrown(defect)))),
    Effect.flatMap((decoded) =>
      decoded instanceof ToolResult
        ? Effect.succeed(decoded)
        : Effect.suspend(() => entry.handler(decoded.params)).pipe(
          Effect.flatMap((value) =>
            Effect.map(contentOf(entry.tool, value), (content) =>
              new ToolResult({ round, id: call.id, name, arguments: call.function.arguments, result: value, content, isFailure: false }))
          )
        )
    )
  )
}

const toolMessage = (result: ToolResult) => new Message({ role: "tool", toolCallId: result.id, content: result.content })

/** What the loop does after an answer: stop with it, fail past `maxRounds`, or go on with these calls. */
const next = (plan: Plan, round: number, response: ChatResponse) => {
  const calls = response.choices[0]?.toolCalls ?? []
  if (calls.length === 0) return { _tag: "Done" as const }
  if (round >= plan.maxRounds) {
    return { _tag: "Exceeded" as const, error: new MaxRoundsExceededError({ maxRounds: plan.maxRounds, pendingTools: calls.map((call) => call.function.name) }) }
  }
  return { _tag: "Calls" as const, calls }
}

/** `chatWithTools`: the final answer, the whole conversation, and how many rounds it took. */
export const run = <E, R>(
  calls: ChatCalls,
  request: ChatRequest.Input,
  options: ChatWithToolsOptions<ReadonlyArray<ChatTool.Any>, unknown>
): Effect.Effect<ChatWithToolsResult, ToolLoopError | E, R> =>
  Effect.flatMap(plan(request, options), (plan) => {
    const loop = (round: number, messages: ReadonlyArray<Message>): Effect.Effect<ChatWithToolsResult, unknown, unknown> =>
      Effect.flatMap(calls.chat(requestOf(plan, round, messages), plan.model), (response) => {
        const step = next(plan, round, response)
        if (step._tag === "Done") return Effect.succeed({ response, messages: [...messages, response.message], rounds: round })
        if (step._tag === "Exceeded") return Effect.fail(step.error)
        return Effect.flatMap(
          Effect.forEach(step.calls, (call) => runCall(plan, round, call), { concurrency: plan.concurrency }),
          (results) => loop(round + 1, [...messages, response.message, ...results.map(toolMessage)])
        )
      })
    return loop(1, plan.messages)
  }) as Effect.Effect<ChatWithToolsResult, ToolLoopError | E, R>

/** The model's stream events of one round, as the non-streaming call would have answered. */
const responseOf = (events: ReadonlyArray<ChatStreamEvent>): Effect.Effect<ChatResponse, DecodeError> => {
  if (events.some((event) => event._tag === "ToolCall" && event.id === "")) {
    return Effect.fail(new DecodeError({ message: "A streamed tool call came without an id, so its result cannot be sent back" }))
  }
  return ChatResponse.fromStream(Stream.fromIterable(events))
}

/** `chatWithToolsStreaming`: each round's model events, then a `ToolResult` per tool run, in call order. */
export const stream = <E, R>(
  calls: ChatCalls,
  request: ChatRequest.Input,
  options: ChatWithToolsOptions<ReadonlyArray<ChatTool.Any>, unknown>
): Stream.Stream<ChatWithToolsEvent, ToolLoopError | E, R> =>
  Stream.unwrap(Effect.map(plan(request, options), (plan) => {
    const loop = (round: number, messages: ReadonlyArray<Message>): Stream.Stream<ChatWithToolsEvent, unknown, unknown> =>
      Stream.suspend(() => {
        const events: Array<ChatStreamEvent> = []
        const model = calls.chatWithStreaming(requestOf(plan, round, messages), plan.model).pipe(
          Stream.mapChunks((chunk) => {
            for (const event of chunk) events.push(event)
            return chunk
          })
        )
        const after = Stream.unwrap(Effect.map(responseOf(events), (response) => {
          const step = next(plan, round, response)
          if (step._tag === "Done") return Stream.empty
          if (step._tag === "Exceeded") return Stream.fail(step.error)
          const results: Array<ToolResult> = []
          return Stream.fromIterable(step.calls).pipe(
            Stream.mapEffect((call) => runCall(plan, round, call), { concurrency: plan.concurrency }),
            Stream.tap((result) => Effect.sync(() => results.push(result))),
            Stream.concat(Stream.suspend(() => loop(round + 1, [...messages, response.message, ...results.map(toolMessage)])))
          )
        }))
        return Stream.concat(model, after)
      })
    return loop(1, plan.messages)
  })) as Stream.Stream<ChatWithToolsEvent, ToolLoopError | E, R>

/** Handlers that fail with nothing and need nothing (an async handler's throw is a defect). */
type EffectHandlers = Readonly<Record<string, (params: any) => Effect.Effect<unknown>>>

/**
 * The options with async handlers (`AsyncClient`) turned into Effect handlers: a rejection or a
 * throw of the handler is a defect carrying what it threw, which `AsyncClient` rejects with as
 * it is. The handler gets the call's `signal`, aborted when the call is.
 */
export const withAsyncHandlers = (
  untyped: unknown
): Effect.Effect<ChatWithToolsOptions<ReadonlyArray<ChatTool.Any>, EffectHandlers>, ValidationError> =>
  Effect.suspend(() => {
    try {
      // what is not an object is reported by `plan`, which reads the options again
      if (typeof untyped !== "object" || untyped === null) return Effect.succeed(untyped as never)
      const options = { ...untyped } as ChatWithToolsOptions<ReadonlyArray<ChatTool.Any>, unknown>
      const given = options.handlers
      if (typeof given !== "object" || given === null) return Effect.succeed(options as never)
      const handlers: Record<string, unknown> = {}
      for (const [name, handler] of Object.entries(given)) {
        handlers[name] = typeof handler !== "function" ? handler : (params: unknown) =>
          Effect.promise((signal) => Promise.resolve(handler(params, { signal })))
      }
      return Effect.succeed({ ...options, handlers: handlers as EffectHandlers })
    } catch (thrown) {
      return Effect.fail(validationErrorFromThrow(thrown, untyped, "ChatWithToolsOptions"))
    }
  })
