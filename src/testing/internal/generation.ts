/**
 * Deterministic stand-ins for model output. The fake server "generates" by echoing the words
 * of the prompt (or of the last user message), one word per token, cycling through them until
 * `maximum_tokens` / `max_tokens`; without a limit it echoes them once. Choice `i` of `n`
 * starts `i` words later, so choices differ. Everything here is a pure function of the body.
 */

/** Parsed JSON object. */
export type JsonObject = Readonly<Record<string, unknown>>

/** Why a choice ended, before it is spelled in an endpoint's vocabulary. */
export type Finish = "limit" | "end" | "stop" | "tool"

/** One generated completion or chat choice. */
export interface Choice {
  readonly index: number
  readonly tokens: ReadonlyArray<string>
  readonly finish: Finish
  /** The tools the fake model calls instead of answering, in order. */
  readonly toolCalls?: ReadonlyArray<ToolCall> | undefined
}

/** A tool call the fake model decided to make. */
export interface ToolCall {
  readonly id: string
  readonly name: string
  readonly arguments: string
}

// What a prompt without any words echoes.
const FALLBACK = ["Hello", "from", "the", "fake", "Aleph", "Alpha", "server."]
// Without a limit, long prompts are echoed up to this many words.
const ECHO_CAP = 256
// A limit above this is clamped, so a huge `maximum_tokens` cannot exhaust memory.
const LIMIT_CAP = 16_384
// What an image prompt item counts as.
const IMAGE_TOKENS = 144

export const isObject = (u: unknown): u is JsonObject => typeof u === "object" && u !== null && !Array.isArray(u)

const words = (text: string): Array<string> => text.split(/\s+/).filter((word) => word.length > 0)

const nonNegativeInt = (u: unknown): number | undefined =>
  typeof u === "number" && Number.isSafeInteger(u) && u >= 0 ? u : undefined

const positiveInt = (u: unknown): number | undefined =>
  typeof u === "number" && Number.isSafeInteger(u) && u >= 1 ? u : undefined

const strings = (u: unknown): ReadonlyArray<string> =>
  typeof u === "string" ? [u] : Array.isArray(u) ? u.filter((s): s is string => typeof s === "string") : []

const range = (n: number): ReadonlyArray<number> => Array.from({ length: n }, (_, i) => i)

/** Splits text into token-like pieces (a word or one punctuation mark, with its leading spaces). */
export const splitTokens = (text: string): Array<string> => text.match(/\s*(?:[\p{L}\p{N}_'’-]+|\S)|\s+$/gu) ?? []

const generate = (
  source: ReadonlyArray<string>,
  offset: number,
  limit: number | undefined,
  stops: ReadonlyArray<string>,
  leadingSpace: boolean
): { readonly tokens: ReadonlyArray<string>; readonly finish: Finish } => {
  const vocabulary = source.length > 0 ? source : FALLBACK
  const length = limit === undefined ? Math.min(vocabulary.length, ECHO_CAP) : Math.min(limit, LIMIT_CAP)
  const tokens: Array<string> = []
  let text = ""
  for (let i = 0; i < length; i++) {
    const word = vocabulary[(offset + i) % vocabulary.length]!
    const token = leadingSpace || i > 0 ? ` ${word}` : word
    const next = text + token
    // like the API: stop before the token that completes a stop sequence
    if (stops.some((stop) => stop !== "" && next.includes(stop))) {
      return { tokens, finish: "stop" }
    }
    tokens.push(token)
    text = next
  }
  return { tokens, finish: limit === undefined ? "end" : "limit" }
}

/** Splits `tokens` into at most `chunks` consecutive groups (one per token by default). */
export const group = (tokens: ReadonlyArray<string>, chunks: number | undefined): ReadonlyArray<ReadonlyArray<string>> => {
  if (tokens.length === 0) return []
  const count = Math.max(1, Math.min(tokens.length, chunks ?? tokens.length))
  const size = Math.ceil(tokens.length / count)
  const groups: Array<ReadonlyArray<string>> = []
  for (let i = 0; i < tokens.length; i += size) groups.push(tokens.slice(i, i + size))
  return groups
}

const sse = (data: unknown): string => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`

// ---------------------------------------------------------------------------------------------
// complete
// ---------------------------------------------------------------------------------------------

const promptOf = (prompt: unknown): { readonly words: ReadonlyArray<string>; readonly tokens: number } => {
  if (typeof prompt === "string") {
    const w = words(prompt)
    return { words: w, tokens: Math.max(1, w.length) }
  }
  const collected: Array<string> = []
  let tokens = 0
  for (const item of Array.isArray(prompt) ? prompt : []) {
    if (!isObject(item)) continue
    if (item.type === "text" && typeof item.data === "string") {
      const w = words(item.data)
      collected.push(...w)
      tokens += w.length
    } else if (item.type === "image") {
      tokens += IMAGE_TOKENS
    } else if (item.type === "token_ids" && Array.isArray(item.data)) {
      tokens += item.data.length
    }
  }
  return { words: collected, tokens: Math.max(1, tokens) }
}

const completeFinish = (finish: Finish): string =>
  finish === "limit" ? "maximum_tokens" : finish === "stop" ? "stop_sequence_reached" : "end_of_text"

const MODEL_VERSION = "2022-04"

/** The body of `POST complete`, planned once for both the JSON and the streaming answer. */
export const planCompletion = (body: JsonObject) => {
  const prompt = promptOf(body.prompt)
  const n = positiveInt(body.n) ?? 1
  const limit = nonNegativeInt(body.maximum_tokens)
  const stops = strings(body.stop_sequences)
  const choices: ReadonlyArray<Choice> = range(n).map((index) => ({
    index,
    ...generate(prompt.words, index, limit, stops, true)
  }))
  const logProbs = nonNegativeInt(body.log_probs)
  const withTokens = body.tokens === true
  const withRaw = body.raw_completion === true || withTokens || logProbs !== undefined
  // the fields a completion (or a stream chunk) carries besides its text
  const extras = (tokens: ReadonlyArray<string>): JsonObject => ({
    ...(withRaw ? { raw_completion: tokens.join("") } : {}),
    ...(withTokens ? { completion_tokens: tokens } : {}),
    ...(logProbs === undefined ? {} : { log_probs: tokens.map((token) => completeLogProbs(token, logProbs)) })
  })
  return {
    choices,
    promptTokensTotal: prompt.tokens * n,
    generatedTokens: choices.reduce((sum, choice) => sum + choice.tokens.length, 0),
    extras
  }
}

const completeLogProbs = (token: string, k: number): Record<string, number> => {
  const entries: Record<string, number> = { [token]: -0.5 }
  for (let i = 1; i < k; i++) entries[`${token}~${i}`] = -0.5 - i
  return entries
}

/** The JSON answer of `POST complete`. */
export const completionResponse = (body: JsonObject): JsonObject => {
  const plan = planCompletion(body)
  return {
    completions: plan.choices.map((choice) => ({
      index: choice.index,
      completion: choice.tokens.join(""),
      ...plan.extras(choice.tokens),
      finish_reason: completeFinish(choice.finish)
    })),
    model_version: MODEL_VERSION,
    num_tokens_prompt_total: plan.promptTokensTotal,
    num_tokens_generated: plan.generatedTokens
  }
}

/** The SSE events of a streaming `POST complete` (each a full `data: …\n\n` frame; no `[DONE]`). */
export const completionEvents = (body: JsonObject, streamChunks: number | undefined): ReadonlyArray<string> => {
  const plan = planCompletion(body)
  const grouped = plan.choices.map((choice) => {
    const groups = group(choice.tokens, streamChunks)
    // a completion that generated nothing still gets one (empty) chunk
    return groups.length === 0 ? [[]] : groups
  })
  const events: Array<string> = []
  const rounds = Math.max(...grouped.map((groups) => groups.length))
  for (let round = 0; round < rounds; round++) {
    plan.choices.forEach((choice, i) => {
      const tokens = grouped[i]![round]
      if (tokens === undefined) return
      events.push(sse({
        type: "stream_chunk",
        index: choice.index,
        completion: tokens.join(""),
        ...plan.extras(tokens)
      }))
    })
  }
  for (const choice of plan.choices) {
    events.push(sse({
      type: "stream_summary",
      index: choice.index,
      model_version: MODEL_VERSION,
      finish_reason: completeFinish(choice.finish)
    }))
  }
  events.push(sse({
    type: "completion_summary",
    num_tokens_prompt_total: plan.promptTokensTotal,
    num_tokens_generated: plan.generatedTokens
  }))
  return events
}

// ---------------------------------------------------------------------------------------------
// chat/completions
// ---------------------------------------------------------------------------------------------

const contentText = (content: unknown): string =>
  typeof content === "string"
    ? content
    : Array.isArray(content)
    ? content
      .filter((part): part is JsonObject => isObject(part) && part.type === "text" && typeof part.text === "string")
      .map((part) => part.text as string)
      .join(" ")
    : ""

const contentImages = (content: unknown): number =>
  Array.isArray(content) ? content.filter((part) => isObject(part) && part.type === "image_url").length : 0

interface ChatTool {
  readonly name: string
  readonly parameters: unknown
}

const toolsOf = (u: unknown): ReadonlyArray<ChatTool> =>
  (Array.isArray(u) ? u : []).flatMap((tool) =>
    isObject(tool) && isObject(tool.function) && typeof tool.function.name === "string"
      ? [{ name: tool.function.name, parameters: tool.function.parameters }]
      : []
  )

// `required` calls the first tool, a named choice that tool; `auto` (the default with tools)
// calls whenever the user spoke last: every tool the message names (in parallel, in the order
// of the tools), else the first.
const chooseTools = (body: JsonObject, last: JsonObject | undefined): ReadonlyArray<ChatTool> => {
  const tools = toolsOf(body.tools)
  const choice = body.tool_choice
  if (tools.length === 0 || choice === "none") return []
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === "string") {
    const name = choice.function.name
    return [tools.find((tool) => tool.name === name) ?? { name, parameters: undefined }]
  }
  if (choice === "required") return [tools[0]!]
  if (last?.role !== "user") return []
  const text = contentText(last.content)
  const named = tools.filter((tool) => text.includes(tool.name))
  return named.length > 0 ? named : [tools[0]!]
}

const chatFinish = (finish: Finish): string =>
  finish === "limit" ? "length" : finish === "tool" ? "tool_calls" : "stop"

const bytes = (token: string): ReadonlyArray<number> => Array.from(new TextEncoder().encode(token))

const chatLogProbs = (tokens: ReadonlyArray<string>, top: number): JsonObject => ({
  content: tokens.map((token) => ({
    token,
    logprob: -0.5,
    bytes: bytes(token),
    top_logprobs: range(top).map((i) => {
      const alternative = i === 0 ? token : `${token}~${i}`
      return { token: alternative, logprob: -0.5 - i, bytes: bytes(alternative) }
    })
  }))
})

/** The body of `POST chat/completions`, planned once for both the JSON and the streaming answer. */
export const planChat = (body: JsonObject, sequence: number) => {
  const messages = (Array.isArray(body.messages) ? body.messages : []).filter(isObject)
  const last = messages.at(-1)
  const lastUser = [...messages].reverse().find((message) => message.role === "user")
  const source = words(contentText((lastUser ?? last)?.content))
  const promptTokens = Math.max(
    1,
    messages.reduce(
      (sum, message) =>
        sum + 3 + words(contentText(message.content)).length + IMAGE_TOKENS * contentImages(message.content),
      0
    )
  )
  const n = positiveInt(body.n) ?? 1
  const limit = positiveInt(body.max_tokens) ?? positiveInt(body.maximum_tokens)
  const stops = strings(body.stop)
  const tools = chooseTools(body, last)
  const format = body.response_format
  const schema = isObject(format) && format.type === "json_schema" && isObject(format.json_schema)
    ? format.json_schema.schema
    : undefined
  const userText = contentText(lastUser?.content)
  const choices: ReadonlyArray<Choice> = range(n).map((index): Choice => {
    if (tools.length > 0) {
      const toolCalls = tools.map((tool, k): ToolCall => ({
        id: k === 0 ? `call-${sequence}-${index}` : `call-${sequence}-${index}-${k}`,
        name: tool.name,
        arguments: JSON.stringify(sample(tool.parameters ?? { type: "object" }, tool.parameters, userText, 0))
      }))
      return { index, tokens: [], finish: "tool", toolCalls }
    }
    if (schema !== undefined) {
      // structured output is never cut short: a truncated document would not parse
      return { index, tokens: splitTokens(JSON.stringify(sample(schema, schema, userText, 0))), finish: "end" }
    }
    return { index, ...generate(source, index, limit, stops, false) }
  })
  const completionTokens = choices.reduce(
    (sum, choice) =>
      sum + choice.tokens.length +
      (choice.toolCalls ?? []).reduce((calls, call) => calls + splitTokens(call.arguments).length, 0),
    0
  )
  const top = nonNegativeInt(body.top_logprobs) ?? 0
  return {
    id: `chatcmpl-fake-${sequence}`,
    model: typeof body.model === "string" ? body.model : "",
    choices,
    logprobs: body.logprobs === true ? (tokens: ReadonlyArray<string>) => chatLogProbs(tokens, top) : undefined,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
    includeUsage: isObject(body.stream_options) && body.stream_options.include_usage === true
  }
}

const toolCallJson = (call: ToolCall): JsonObject => ({
  id: call.id,
  type: "function",
  function: { name: call.name, arguments: call.arguments }
})

/** The JSON answer of `POST chat/completions`; `created` is in Unix seconds. */
export const chatResponse = (body: JsonObject, sequence: number, created: number): JsonObject => {
  const plan = planChat(body, sequence)
  return {
    id: plan.id,
    choices: plan.choices.map((choice) => ({
      finish_reason: chatFinish(choice.finish),
      index: choice.index,
      message: {
        role: "assistant",
        content: choice.tokens.join(""),
        ...(choice.toolCalls === undefined ? {} : { tool_calls: choice.toolCalls.map(toolCallJson) })
      },
      logprobs: plan.logprobs === undefined ? null : plan.logprobs(choice.tokens)
    })),
    created,
    model: plan.model,
    system_fingerprint: ".unknown.",
    object: "chat.completion",
    usage: plan.usage
  }
}

/**
 * The SSE events of a streaming `POST chat/completions`: a role chunk per choice, the content
 * chunks (choices interleaved), tool-call fragments, a finish chunk per choice, the usage chunk
 * when `stream_options.include_usage`, then `[DONE]`.
 */
export const chatEvents = (
  body: JsonObject,
  sequence: number,
  created: number,
  streamChunks: number | undefined
): ReadonlyArray<string> => {
  const plan = planChat(body, sequence)
  const chunk = (
    choices: ReadonlyArray<JsonObject>,
    fields: { readonly usage?: JsonObject; readonly system_fingerprint?: string } = {}
  ) =>
    sse({
      id: plan.id,
      choices,
      created,
      model: plan.model,
      system_fingerprint: fields.system_fingerprint ?? null,
      object: "chat.completion.chunk",
      usage: fields.usage ?? null
    })
  const delta = (index: number, value: JsonObject, logprobs: unknown = null, finish: string | null = null) => ({
    finish_reason: finish,
    index,
    delta: value,
    logprobs
  })
  const events: Array<string> = []
  for (const choice of plan.choices) {
    events.push(chunk([delta(choice.index, { role: "assistant", content: "" })]))
  }
  const grouped = plan.choices.map((choice) => group(choice.tokens, streamChunks))
  const rounds = Math.max(0, ...grouped.map((groups) => groups.length))
  for (let round = 0; round < rounds; round++) {
    plan.choices.forEach((choice, i) => {
      const tokens = grouped[i]![round]
      if (tokens === undefined) return
      const logprobs = plan.logprobs === undefined ? null : plan.logprobs(tokens)
      events.push(chunk([delta(choice.index, { content: tokens.join("") }, logprobs)]))
    })
  }
  for (const choice of plan.choices) {
    for (const [k, call] of (choice.toolCalls ?? []).entries()) {
      // as the API does: the first fragment names the call, the others append to its arguments
      events.push(chunk([delta(choice.index, {
        content: "",
        tool_calls: [{ index: k, id: call.id, type: "function", function: { name: call.name } }]
      })]))
      const half = Math.ceil(call.arguments.length / 2)
      for (const piece of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
        if (piece === "") continue
        events.push(chunk([delta(choice.index, {
          content: "",
          tool_calls: [{ index: k, function: { arguments: piece } }]
        })]))
      }
    }
  }
  for (const choice of plan.choices) {
    events.push(chunk([delta(choice.index, {}, null, chatFinish(choice.finish))], { system_fingerprint: ".unknown." }))
  }
  if (plan.includeUsage) {
    events.push(chunk([], { usage: plan.usage }))
  }
  events.push(sse("[DONE]"))
  return events
}

// ---------------------------------------------------------------------------------------------
// JSON Schema samples (structured output, tool arguments)
// ---------------------------------------------------------------------------------------------

const resolveRef = (ref: string, root: unknown): unknown => {
  if (!ref.startsWith("#/")) return undefined
  let node: unknown = root
  for (const key of ref.slice(2).split("/")) {
    node = isObject(node) ? node[key.replace(/~1/g, "/").replace(/~0/g, "~")] : undefined
  }
  return node
}

/** A small value satisfying `schema` (strings are `text`, numbers their minimum or 1). */
export const sample = (schema: unknown, root: unknown, text: string, depth: number): unknown => {
  if (!isObject(schema) || depth > 16) return null
  if (typeof schema.$ref === "string") return sample(resolveRef(schema.$ref, root), root, text, depth + 1)
  if ("const" in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const options = schema[key]
    if (Array.isArray(options) && options.length > 0) {
      const preferred = options.find((option) => !(isObject(option) && option.type === "null")) ?? options[0]
      return sample(preferred, root, text, depth + 1)
    }
  }
  const types = strings(schema.type)
  const type = types.find((t) => t !== "null") ?? types[0] ??
    (isObject(schema.properties) ? "object" : schema.items === undefined ? undefined : "array")
  switch (type) {
    case "string": {
      if (schema.format === "date-time") return "1970-01-01T00:00:00.000Z"
      if (schema.format === "date") return "1970-01-01"
      const value = text === "" ? "text" : text
      const min = nonNegativeInt(schema.minLength) ?? 0
      const max = nonNegativeInt(schema.maxLength)
      const padded = value.padEnd(min, "x")
      return max === undefined ? padded : padded.slice(0, max)
    }
    case "integer":
    case "number": {
      const min = typeof schema.minimum === "number" ? schema.minimum : undefined
      const value = min ?? (typeof schema.maximum === "number" ? Math.min(1, schema.maximum) : 1)
      return type === "integer" ? Math.ceil(value) : value
    }
    case "boolean":
      return true
    case "null":
      return null
    case "array": {
      const count = Math.max(1, nonNegativeInt(schema.minItems) ?? 1)
      const max = nonNegativeInt(schema.maxItems)
      const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : []
      const items = range(max === undefined ? Math.max(count, prefix.length) : Math.min(Math.max(count, prefix.length), max))
      return items.map((i) => sample(prefix[i] ?? schema.items ?? {}, root, text, depth + 1))
    }
    case "object": {
      const properties = isObject(schema.properties) ? schema.properties : {}
      const value: Record<string, unknown> = {}
      for (const key of Object.keys(properties)) {
        value[key] = sample(properties[key], root, text, depth + 1)
      }
      return value
    }
    default:
      return text === "" ? "text" : text
  }
}
