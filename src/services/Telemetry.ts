/**
 * Spans for every endpoint method, with the OpenTelemetry GenAI attributes
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/). Spans go to whatever `Tracer` the
 * application installs (e.g. `@effect/opentelemetry`). Under Effect's built-in tracer, which
 * exports nothing, none are made: they would reach no one, and measured they cost a busy client
 * a fifth of its requests/s. No prompt or completion text is recorded unless the client's
 * `recordContent` option is set, and never the token.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"

/** Effect's built-in tracer, in place until an application installs its own. */
const builtInTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/** `traced()` when the application installed a tracer, `untraced` otherwise. */
const whenTraced = <A, E, R>(untraced: Effect.Effect<A, E, R>, traced: () => Effect.Effect<A, E, R>) =>
  Effect.tracerWith((tracer) => tracer === builtInTracer ? untraced : traced())

/** The value of `gen_ai.system`. */
export const genAiSystem = "aleph_alpha"

/** Attributes known when a call starts. `undefined` values are left out. */
export interface RequestAttributes {
  /** `gen_ai.operation.name`: `chat`, `text_completion`, `embeddings`, or the method's own name. */
  readonly operation: string
  readonly model?: string | undefined
  readonly maxTokens?: number | undefined
  readonly temperature?: number | undefined
  readonly topP?: number | undefined
  /** Recorded only with `recordContent`. */
  readonly content?: (() => unknown) | undefined
}

/** What a result tells about usage and finish reasons. */
export interface ResponseAttributes {
  readonly finishReasons?: ReadonlyArray<string> | undefined
  readonly inputTokens?: number | undefined
  readonly outputTokens?: number | undefined
  readonly responseModel?: string | undefined
  readonly responseId?: string | undefined
  /** Recorded only with `recordContent`. */
  readonly content?: (() => unknown) | undefined
}

const startAttributes = (request: RequestAttributes, recordContent: boolean): Record<string, unknown> => {
  const attributes: Record<string, unknown> = {
    "gen_ai.system": genAiSystem,
    "gen_ai.operation.name": request.operation,
    // the transport raises it when it retries
    "aleph_alpha.retry_count": 0
  }
  // untyped code may pass anything as a model: the call then fails its check, unrecorded
  if (typeof request.model === "string") attributes["gen_ai.request.model"] = request.model
  if (request.maxTokens !== undefined) attributes["gen_ai.request.max_tokens"] = request.maxTokens
  if (request.temperature !== undefined) attributes["gen_ai.request.temperature"] = request.temperature
  if (request.topP !== undefined) attributes["gen_ai.request.top_p"] = request.topP
  if (recordContent && request.content !== undefined) {
    // a prompt JSON cannot carry (a cycle, a throwing getter) fails its encoding; it is not recorded
    try {
      attributes["gen_ai.prompt"] = JSON.stringify(request.content())
    } catch {
      // left out
    }
  }
  return attributes
}

/** The options of every method's span. */
const spanOptions = (request: RequestAttributes, options: TelemetryOptions): Tracer.SpanOptions => ({
  kind: "client",
  // a stack trace per call would cost the hot path more than the span itself
  captureStackTrace: false,
  attributes: startAttributes(request, options.recordContent)
})

/** Writes the response's attributes onto `span`, synchronously. */
export const annotateResponse = (span: Tracer.Span, response: ResponseAttributes, recordContent: boolean): void => {
  if (response.finishReasons !== undefined) span.attribute("gen_ai.response.finish_reasons", response.finishReasons)
  if (response.inputTokens !== undefined) span.attribute("gen_ai.usage.input_tokens", response.inputTokens)
  if (response.outputTokens !== undefined) span.attribute("gen_ai.usage.output_tokens", response.outputTokens)
  if (response.responseModel !== undefined) span.attribute("gen_ai.response.model", response.responseModel)
  if (response.responseId !== undefined) span.attribute("gen_ai.response.id", response.responseId)
  if (recordContent && response.content !== undefined) {
    span.attribute("gen_ai.completion", JSON.stringify(response.content()))
  }
}

/** Options the spans take from the client. */
export interface TelemetryOptions {
  readonly recordContent: boolean
}

/**
 * Runs a method that makes one POST in the span `AlephAlpha.<method>`, annotated like
 * {@link span}. The span is handed to `use`, for the transport (`PostRequest.span`: it sends
 * the span's trace context and puts the retry count on it), instead of becoming the parent span
 * of the context: providing it copies the context and the fiber refs, which cost a traced call
 * about a third of its tracing overhead. Untraced, `use` gets `undefined`.
 */
export const call = <A, E, R>(
  options: TelemetryOptions,
  method: string,
  request: RequestAttributes,
  describe: ((result: A) => ResponseAttributes) | undefined,
  use: (span: Tracer.Span | undefined) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.tracerWith((tracer) =>
    tracer === builtInTracer
      ? use(undefined)
      : Effect.useSpan(`AlephAlpha.${method}`, spanOptions(request, options), (span) =>
        describe === undefined
          ? use(span)
          : Effect.map(use(span), (result) => {
            annotateResponse(span, describe(result), options.recordContent)
            return result
          }))
  )

/**
 * Runs `effect` in the span `AlephAlpha.<method>`, annotated with the request's attributes and,
 * on success, with what `describe` reads off the result, as the context's parent span. For
 * the methods {@link call} does not serve: GETs, and methods made of other calls or requests.
 */
export const span = <A = unknown>(
  options: TelemetryOptions,
  method: string,
  request: RequestAttributes,
  describe?: (result: A) => ResponseAttributes
) =>
<B extends A, E, R>(effect: Effect.Effect<B, E, R>): Effect.Effect<B, E, R> =>
  call(options, method, request, describe, (span) => span === undefined ? effect : Effect.withParentSpan(effect, span))

/**
 * Runs `stream` in the span `AlephAlpha.<method>`: the time to the first event is recorded as
 * `aleph_alpha.time_to_first_event_ms`, and `observe` sees every event (synchronously, a chunk
 * at a time — no Effect per event) and returns the attributes to write when the stream ends.
 */
export const streamSpan = <A>(
  options: TelemetryOptions,
  method: string,
  request: RequestAttributes,
  observe: () => { readonly add: (event: A) => void; readonly done: () => ResponseAttributes }
) =>
<E, R>(stream: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
  Stream.unwrap(whenTraced(Effect.succeed(stream), () =>
    Effect.succeed(
      observed(stream, observe, options).pipe(
        Stream.withSpan(`AlephAlpha.${method}`, spanOptions(request, options))
      )
    )))

const observed = <A, E, R>(
  stream: Stream.Stream<A, E, R>,
  observe: () => { readonly add: (event: A) => void; readonly done: () => ResponseAttributes },
  options: TelemetryOptions
): Stream.Stream<A, E, R> =>
  Stream.unwrap(Effect.gen(function*() {
    const span = Option.getOrUndefined(yield* Effect.option(Effect.currentSpan))
    const started = yield* Clock.currentTimeMillis
    const observer = observe()
    let first = true
    return stream.pipe(
      Stream.mapChunksEffect((chunk) =>
        first && chunk.length > 0
          ? Effect.map(Clock.currentTimeMillis, (now) => {
            first = false
            span?.attribute("aleph_alpha.time_to_first_event_ms", now - started)
            for (const event of chunk) observer.add(event)
            return chunk
          })
          : Effect.sync(() => {
            for (const event of chunk) observer.add(event)
            return chunk
          })
      ),
      Stream.onEnd(Effect.sync(() => {
        if (span !== undefined) annotateResponse(span, observer.done(), options.recordContent)
      }))
    )
  }))

/**
 * The request's fields, or none when untyped code passed something that is not an object.
 * Reading them may still throw (a getter, a `Proxy`): the callers catch that and leave the
 * fields out, and the request's encoding reports it as a `ValidationError`.
 */
export const fieldsOf = <T>(request: T): Partial<T> =>
  typeof request === "object" && request !== null ? request : {}

/** The fields of a generation request that go onto its span. */
export interface GenerationFields {
  readonly model?: string | undefined
  readonly maximumTokens?: number | undefined
  readonly temperature?: number | undefined
  readonly topP?: number | undefined
}

/**
 * The attributes of a generation request: the model (the argument, or else the request's),
 * the token limit, the sampling and, lazily, the `content` read off the request. Only the
 * operation and the model argument when reading the request throws (see {@link fieldsOf}).
 */
export const generationAttributes = <T extends GenerationFields>(
  operation: string,
  model: string | undefined,
  request: T,
  content: (fields: Partial<T>) => unknown
): RequestAttributes => {
  const fields = fieldsOf(request)
  try {
    return {
      operation,
      model: model ?? fields.model,
      maxTokens: fields.maximumTokens,
      temperature: fields.temperature,
      topP: fields.topP,
      content: () => content(fields)
    }
  } catch {
    return { operation, model }
  }
}
