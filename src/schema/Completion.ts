/**
 * `POST complete` (api-reference §4.1): request, response and stream events.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { Prompt } from "./Prompt.js"
import { type InputOf, SafeClass } from "./SafeClass.js"
import { fieldsOf } from "./internal/plainInput.js"
import { promptInput } from "./internal/promptInput.js"

const NonNegativeInt = Schema.Int.pipe(Schema.nonNegative())
const NonNegative = Schema.Finite.pipe(Schema.nonNegative())

/** An optional field sent only when set. */
const optional = <S extends Schema.Schema.All, K extends string>(schema: S, key: K) =>
  Schema.optionalWith(schema, { exact: true }).pipe(Schema.fromKey(key))

/** A field the Python client always sends, with its default (api-reference §1.9). */
const withDefault = <S extends Schema.Schema.Any, K extends string>(schema: S, key: K, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: value }).pipe(Schema.fromKey(key))

/** Token id → bias. */
export const LogitBias = Schema.Record({
  key: Schema.String.pipe(Schema.pattern(/^\d+$/, { message: () => "logit bias keys are token ids" })),
  value: Schema.Finite
})

/**
 * A completion request. As the Python client does, every field with a default is sent with it,
 * and unset optional fields are omitted.
 */
export class CompletionRequest extends SafeClass<CompletionRequest, { readonly prompt: Prompt.Input }>(
  "aleph-alpha-client/CompletionRequest"
)({
  /** A `Prompt`, a string or a list of prompt items (plain objects too). */
  prompt: Prompt,
  /** The most tokens to generate. Default: until a stop sequence or the context is full. */
  maximumTokens: optional(NonNegativeInt, "maximum_tokens"),
  /** Generate at least this many tokens. Default: 0. */
  minimumTokens: withDefault(NonNegativeInt, "minimum_tokens", () => 0),
  /** Prepend the prompt to the completion. Default: false. */
  echo: withDefault(Schema.Boolean, "echo", () => false),
  /** Default: 0 (greedy). */
  temperature: withDefault(NonNegative, "temperature", () => 0),
  /** Default: 0 (off). */
  topK: withDefault(NonNegativeInt, "top_k", () => 0),
  /** 0…1. Default: 0 (off). */
  topP: withDefault(Schema.Finite.pipe(Schema.between(0, 1)), "top_p", () => 0),
  /** Default: 0. */
  presencePenalty: withDefault(Schema.Finite, "presence_penalty", () => 0),
  /** Default: 0. */
  frequencyPenalty: withDefault(Schema.Finite, "frequency_penalty", () => 0),
  /** Default: 0. */
  sequencePenalty: withDefault(Schema.Finite, "sequence_penalty", () => 0),
  /** At least 2. Default: 2. */
  sequencePenaltyMinLength: withDefault(Schema.Int.pipe(Schema.greaterThanOrEqualTo(2)), "sequence_penalty_min_length", () => 2),
  /** Default: false. */
  repetitionPenaltiesIncludePrompt: withDefault(Schema.Boolean, "repetition_penalties_include_prompt", () => false),
  /** Default: true. */
  repetitionPenaltiesIncludeCompletion: withDefault(Schema.Boolean, "repetition_penalties_include_completion", () => true),
  /** Default: false. */
  useMultiplicativePresencePenalty: withDefault(Schema.Boolean, "use_multiplicative_presence_penalty", () => false),
  /** Default: false. */
  useMultiplicativeFrequencyPenalty: withDefault(Schema.Boolean, "use_multiplicative_frequency_penalty", () => false),
  /** Default: false. */
  useMultiplicativeSequencePenalty: withDefault(Schema.Boolean, "use_multiplicative_sequence_penalty", () => false),
  /** Extra text whose tokens are penalised too. */
  penaltyBias: optional(Schema.String, "penalty_bias"),
  /** Strings never penalised. */
  penaltyExceptions: optional(Schema.Array(Schema.String), "penalty_exceptions"),
  penaltyExceptionsIncludeStopSequences: optional(Schema.Boolean, "penalty_exceptions_include_stop_sequences"),
  /** Generate this many server-side and return the best (more than `n`, at most 100; not streamable). */
  bestOf: optional(Schema.Int.pipe(Schema.between(1, 100)), "best_of"),
  /** How many completions to return. Default: 1. */
  n: withDefault(Schema.Int.pipe(Schema.positive()), "n", () => 1),
  logitBias: optional(LogitBias, "logit_bias"),
  /** 0 = the sampled token's log-prob; k = the top k as well. 0…20. */
  logProbs: optional(Schema.Int.pipe(Schema.between(0, 20)), "log_probs"),
  /** Generation stops before the token containing one of these. */
  stopSequences: optional(Schema.Array(Schema.String), "stop_sequences"),
  /** Return `completionTokens`. Default: false. */
  tokens: withDefault(Schema.Boolean, "tokens", () => false),
  /** Return the un-optimised `rawCompletion`. Default: false. */
  rawCompletion: withDefault(Schema.Boolean, "raw_completion", () => false),
  /** Default: false. */
  disableOptimizations: withDefault(Schema.Boolean, "disable_optimizations", () => false),
  completionBiasInclusion: optional(Schema.Array(Schema.String), "completion_bias_inclusion"),
  /** Default: false. */
  completionBiasInclusionFirstTokenOnly: withDefault(Schema.Boolean, "completion_bias_inclusion_first_token_only", () => false),
  completionBiasExclusion: optional(Schema.Array(Schema.String), "completion_bias_exclusion"),
  /** Default: false. */
  completionBiasExclusionFirstTokenOnly: withDefault(Schema.Boolean, "completion_bias_exclusion_first_token_only", () => false),
  /** Also apply controls to tokens whose embedding is at least this similar. Default: only covered tokens. */
  contextualControlThreshold: optional(Schema.Finite, "contextual_control_threshold"),
  /** true: add log(factor) to attention scores; false: scale them. Default: true. */
  controlLogAdditive: withDefault(Schema.Boolean, "control_log_additive", () => true),
  /** Steering concept ids (one at a time). */
  steeringConcepts: optional(Schema.Array(Schema.String), "steering_concepts")
}, undefined, fieldsOf({ prompt: promptInput })) {}

/** Per generated token: token → log-probability. */
export const LogProbs = Schema.Array(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.Number) }))
export type LogProbs = typeof LogProbs.Type

/** One completion of a response. `finishReason` is an open string (`maximum_tokens`, `end_of_text`, …). */
export class CompletionResult extends Schema.Class<CompletionResult>("aleph-alpha-client/CompletionResult")({
  index: Schema.optional(Schema.Int),
  completion: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  rawCompletion: Schema.optional(Schema.NullOr(Schema.String)).pipe(Schema.fromKey("raw_completion")),
  logProbs: Schema.optional(Schema.NullOr(LogProbs)).pipe(Schema.fromKey("log_probs")),
  completionTokens: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))).pipe(Schema.fromKey("completion_tokens")),
  finishReason: Schema.optional(Schema.NullOr(Schema.String)).pipe(Schema.fromKey("finish_reason"))
}) {}

/** The answer of `complete`. */
export class CompletionResponse extends Schema.Class<CompletionResponse>("aleph-alpha-client/CompletionResponse")({
  modelVersion: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("model_version")),
  completions: Schema.Array(CompletionResult),
  /** The prompt after server-side optimisation, when it changed. */
  optimizedPrompt: Schema.optional(Schema.NullOr(Prompt)).pipe(Schema.fromKey("optimized_prompt")),
  numTokensPromptTotal: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("num_tokens_prompt_total")),
  numTokensGenerated: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("num_tokens_generated"))
}) {
  /** Accumulates a completion stream into the response the non-streaming call returns. */
  static fromStream<E, R>(
    stream: Stream.Stream<CompletionStreamEvent, E, R>
  ): Effect.Effect<CompletionResponse, E, R> {
    return Effect.map(
      Stream.runFold(stream, new CompletionAccumulator(), (acc, event) => acc.add(event)),
      (acc) => acc.toResponse()
    )
  }
}

// ---------------------------------------------------------------------------------------------
// stream events

/** Incremental text of completion `index`. */
export class StreamChunk extends Data.TaggedClass("StreamChunk")<{
  readonly index: number
  readonly completion: string
  readonly rawCompletion: string | undefined
  readonly completionTokens: ReadonlyArray<string> | undefined
  readonly logProbs: LogProbs | undefined
}> {}

/** Completion `index` finished. */
export class StreamSummary extends Data.TaggedClass("StreamSummary")<{
  readonly index: number
  readonly modelVersion: string
  readonly finishReason: string
}> {}

/** The last event: token counts, and the optimised prompt when it changed. */
export class CompletionSummary extends Data.TaggedClass("CompletionSummary")<{
  readonly numTokensPromptTotal: number
  readonly numTokensGenerated: number
  readonly optimizedPrompt: Prompt | undefined
}> {}

/** What `completeWithStreaming` emits. */
export type CompletionStreamEvent = StreamChunk | StreamSummary | CompletionSummary

// Plain structs compiled once: stream events are a hot path (DESIGN §5).
const StreamChunkWire = Schema.Struct({
  type: Schema.Literal("stream_chunk"),
  index: Schema.optional(Schema.Int),
  completion: Schema.String,
  raw_completion: Schema.optional(Schema.NullOr(Schema.String)),
  completion_tokens: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
  log_probs: Schema.optional(Schema.NullOr(LogProbs))
})
const StreamSummaryWire = Schema.Struct({
  type: Schema.Literal("stream_summary"),
  index: Schema.optional(Schema.Int),
  model_version: Schema.String,
  finish_reason: Schema.String
})
const CompletionSummaryWire = Schema.Struct({
  type: Schema.Literal("completion_summary"),
  num_tokens_prompt_total: Schema.Int,
  num_tokens_generated: Schema.Int,
  optimized_prompt: Schema.optional(Schema.NullOr(Schema.Unknown))
})
const decodeWireEvent = Schema.decodeUnknownEither(
  Schema.Union(StreamChunkWire, StreamSummaryWire, CompletionSummaryWire)
)
const decodePrompt = Schema.decodeUnknownEither(Prompt)
const knownTypes: ReadonlySet<unknown> = new Set(["stream_chunk", "stream_summary", "completion_summary"])

const isAbsent = (value: unknown) => value === null || value === undefined

/**
 * A plain text chunk (`{"type":"stream_chunk","index":n,"completion":"…"}`, no raw completion,
 * tokens or log-probabilities: nearly every event of a stream) as its class, checked by hand;
 * `undefined` for anything else. It checks what `StreamChunkWire` checks and builds what
 * {@link decodeCompletionEventWithSchema} builds (a property test keeps the two equal).
 */
const plainStreamChunk = (value: unknown): StreamChunk | undefined => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined
  const wire = value as Record<string, unknown>
  if (wire.type !== "stream_chunk" || typeof wire.completion !== "string") return undefined
  const index = wire.index
  if (index !== undefined && !(typeof index === "number" && Number.isSafeInteger(index))) return undefined
  if (!isAbsent(wire.raw_completion) || !isAbsent(wire.completion_tokens) || !isAbsent(wire.log_probs)) return undefined
  return plainChunk(index ?? 0, wire.completion)
}

const chunkPrefix = "{\"type\":\"stream_chunk\",\"index\":"
const completionKey = ",\"completion\":\""
// what a JSON string holds only escaped, or ends at
const needsJson = /["\\\u0000-\u001f]/

/**
 * A plain text chunk read straight off the event's data, as the API writes it
 * (`{"type":"stream_chunk","index":0,"completion":"…"}`, nothing escaped in the text), without
 * `JSON.parse`; `undefined` for any other text, which then goes through `JSON.parse` and
 * {@link decodeCompletionEvent}. A property test keeps the two equal.
 * @internal used by `Completions`
 */
export const plainStreamChunkFromData = (data: string): StreamChunk | undefined => {
  // (`startsWith` costs several times more here)
  if (data.lastIndexOf(chunkPrefix, 0) !== 0) return undefined
  const digits = chunkPrefix.length
  let i = digits
  let index = 0
  for (let c = data.charCodeAt(i); c >= 0x30 && c <= 0x39; c = data.charCodeAt(++i)) index = index * 10 + (c - 0x30)
  // JSON has no leading zeros; up to 15 digits stay a safe integer
  if (i === digits || i - digits > 15 || (i - digits > 1 && data.charCodeAt(digits) === 0x30)) return undefined
  if (data.slice(i, i + completionKey.length) !== completionKey) return undefined
  const start = i + completionKey.length
  const end = data.length - 2
  if (end < start || data.charCodeAt(end) !== 0x22 || data.charCodeAt(end + 1) !== 0x7d) return undefined
  const completion = data.slice(start, end)
  if (needsJson.test(completion)) return undefined
  // a copy: a slice would keep the whole network read's text alive as long as the event
  return plainChunk(index, completion.length < 13 ? completion : (" " + completion).slice(1))
}

/**
 * `new StreamChunk` of a plain text chunk, for the fast paths: the same own fields in the same
 * order on the same prototype, without the constructor's generic copy of its argument (a
 * fifth of the cost of a stream event).
 */
const plainChunk = (index: number, completion: string): StreamChunk => {
  const chunk = Object.create(StreamChunk.prototype)
  chunk.index = index
  chunk.completion = completion
  chunk.rawCompletion = undefined
  chunk.completionTokens = undefined
  chunk.logProbs = undefined
  chunk._tag = "StreamChunk"
  return chunk
}

/**
 * Decodes one parsed stream event. `undefined` for an event type this client does not know
 * (skipped, so a new server event does not break old clients). Plain text chunks are checked by
 * hand, anything else goes through the wire schemas, whose errors it returns as they are.
 * @internal used by `Completions`
 */
export const decodeCompletionEvent = (
  value: unknown
): Either.Either<CompletionStreamEvent | undefined, ParseResult.ParseError> => {
  const plain = plainStreamChunk(value)
  return plain === undefined ? decodeCompletionEventWithSchema(value) : Either.right(plain)
}

/** {@link decodeCompletionEvent} through the wire schemas only. @internal for tests */
export const decodeCompletionEventWithSchema = (
  value: unknown
): Either.Either<CompletionStreamEvent | undefined, ParseResult.ParseError> => {
  if (typeof value === "object" && value !== null && !knownTypes.has((value as { type?: unknown }).type)) {
    return Either.right(undefined)
  }
  return Either.flatMap(decodeWireEvent(value), (wire): Either.Either<CompletionStreamEvent, ParseResult.ParseError> => {
    switch (wire.type) {
      case "stream_chunk":
        return Either.right(
          new StreamChunk({
            index: wire.index ?? 0,
            completion: wire.completion,
            rawCompletion: wire.raw_completion ?? undefined,
            completionTokens: wire.completion_tokens ?? undefined,
            logProbs: wire.log_probs ?? undefined
          })
        )
      case "stream_summary":
        return Either.right(
          new StreamSummary({ index: wire.index ?? 0, modelVersion: wire.model_version, finishReason: wire.finish_reason })
        )
      case "completion_summary": {
        const base = { numTokensPromptTotal: wire.num_tokens_prompt_total, numTokensGenerated: wire.num_tokens_generated }
        if (wire.optimized_prompt == null) return Either.right(new CompletionSummary({ ...base, optimizedPrompt: undefined }))
        return Either.map(decodePrompt(wire.optimized_prompt), (optimizedPrompt) =>
          new CompletionSummary({ ...base, optimizedPrompt }))
      }
    }
  })
}

class CompletionState {
  completion = ""
  rawCompletion: string | undefined = undefined
  completionTokens: Array<string> | undefined = undefined
  logProbs: Array<LogProbs[number]> | undefined = undefined
  finishReason: string | null = null
}

class CompletionAccumulator {
  private readonly completions = new Map<number, CompletionState>()
  private modelVersion = ""
  private numTokensPromptTotal = 0
  private numTokensGenerated = 0
  private optimizedPrompt: Prompt | undefined = undefined

  private state(index: number): CompletionState {
    let state = this.completions.get(index)
    if (state === undefined) this.completions.set(index, state = new CompletionState())
    return state
  }

  add(event: CompletionStreamEvent): this {
    switch (event._tag) {
      case "StreamChunk": {
        const state = this.state(event.index)
        state.completion += event.completion
        if (event.rawCompletion !== undefined) state.rawCompletion = (state.rawCompletion ?? "") + event.rawCompletion
        if (event.completionTokens !== undefined) (state.completionTokens ??= []).push(...event.completionTokens)
        if (event.logProbs !== undefined) (state.logProbs ??= []).push(...event.logProbs)
        break
      }
      case "StreamSummary":
        this.state(event.index).finishReason = event.finishReason
        this.modelVersion = event.modelVersion
        break
      case "CompletionSummary":
        this.numTokensPromptTotal = event.numTokensPromptTotal
        this.numTokensGenerated = event.numTokensGenerated
        this.optimizedPrompt = event.optimizedPrompt
    }
    return this
  }

  toResponse(): CompletionResponse {
    const completions = [...this.completions.entries()].sort(([a], [b]) => a - b).map(([index, state]) =>
      new CompletionResult({
        index,
        completion: state.completion,
        finishReason: state.finishReason,
        ...(state.rawCompletion === undefined ? {} : { rawCompletion: state.rawCompletion }),
        ...(state.completionTokens === undefined ? {} : { completionTokens: state.completionTokens }),
        ...(state.logProbs === undefined ? {} : { logProbs: state.logProbs })
      })
    )
    return new CompletionResponse({
      modelVersion: this.modelVersion,
      completions,
      numTokensPromptTotal: this.numTokensPromptTotal,
      numTokensGenerated: this.numTokensGenerated,
      ...(this.optimizedPrompt === undefined ? {} : { optimizedPrompt: this.optimizedPrompt })
    })
  }
}

export declare namespace CompletionRequest {
  /** What `new CompletionRequest`, `CompletionRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof CompletionRequest>
}
