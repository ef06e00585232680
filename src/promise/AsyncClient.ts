/**
 * `AsyncClient`: the whole API with `Promise`s and `AsyncIterable`s, for code outside Effect.
 * One `ManagedRuntime` per client holds the transport (by default undici on Node, fetch
 * elsewhere) and its connections.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as HashMap from "effect/HashMap"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { AbortError, ClientClosedError, ValidationError } from "../errors/AlephAlphaError.js"
import type { ChatRequest, ChatResponse, ChatStreamEvent } from "../schema/Chat.js"
import type {
  AsyncChatToolHandlers,
  ChatTool,
  ChatWithToolsEvent,
  ChatWithToolsOptions,
  ChatWithToolsResult
} from "../schema/ChatTool.js"
import type { CompletionRequest, CompletionResponse, CompletionStreamEvent } from "../schema/Completion.js"
import type {
  AsyncBatchSemanticEmbedOptions,
  BatchSemanticEmbeddingRequest,
  BatchSemanticEmbeddingResponse,
  EmbeddingRequest,
  EmbeddingResponse,
  EmbeddingV2Request,
  EmbeddingV2Response,
  InstructableEmbeddingRequest,
  InstructableEmbeddingResponse,
  SemanticEmbeddingBatch,
  SemanticEmbeddingRequest,
  SemanticEmbeddingResponse
} from "../schema/Embedding.js"
import type { EvaluationRequest, EvaluationResponse } from "../schema/Evaluation.js"
import type { ExplanationRequest, ExplanationResponse } from "../schema/Explanation.js"
import type { ModelInfo } from "../schema/Models.js"
import { copyOptions } from "../schema/internal/untypedInput.js"
import type { RerankRequest, RerankResponse } from "../schema/Rerank.js"
import type { SteeringConceptCreationRequest, SteeringConceptCreationResponse } from "../schema/Steering.js"
import type {
  DetokenizationRequest,
  DetokenizationResponse,
  TokenizationRequest,
  TokenizationResponse
} from "../schema/Tokenization.js"
import type { TranslationRequest, TranslationResponse } from "../schema/Translation.js"
import type { FromSchemaOptions } from "../schema/StructuredOutput.js"
import { validationErrorFromThrow } from "../schema/internal/thrown.js"
import { AlephAlphaHttp, type AlephAlphaHttpOptions, type CallOverrides } from "../services/AlephAlphaHttp.js"
import { Client, type ClientService } from "../services/Client.js"
import { modelAndOptions } from "../services/internal/modelName.js"
import type { NetworkOptions } from "../services/NetworkOptions.js"
import * as ToolLoop from "../services/ToolLoop.js"

/**
 * Options of `AsyncClient`: those of `Client.layer`, and the transport's. The network options
 * (`proxy`, `ca`, `cert`, `key`, `verifySsl`) need the undici transport: with `fetch` they are
 * a `ValidationError` (the runtime's `fetch` has its own settings).
 */
export interface AsyncClientOptions extends Omit<AlephAlphaHttpOptions, "token">, NetworkOptions {
  /** The API token, as a string or `Redacted`. */
  readonly token: string | Redacted.Redacted<string>
  /** The most connections per origin (undici transport). Default: 100. */
  readonly connectionLimit?: number | undefined
  /**
   * The HTTP transport: `"undici"` (fast, Node), `"fetch"` (the global `fetch`, any runtime), or
   * a `fetch` function of your own. Default: `"undici"` on Node, `"fetch"` elsewhere (Bun, Deno,
   * workers, browsers).
   */
  readonly transport?: "undici" | "fetch" | typeof globalThis.fetch | undefined
  /**
   * The least level logged. The client logs each HTTP attempt at `"debug"` (method, path,
   * status, attempt, duration, wait; never the token, a header or a body). Default: `"info"`,
   * so those lines are not logged.
   */
  readonly logLevel?: LogLevelName | undefined
  /**
   * Receives each line logged instead of the console; what it throws is ignored. Default: the
   * console (Effect's default logger).
   */
  readonly logger?: ((entry: LogEntry) => void) | undefined
}

/** The options only the undici transport acts on. */
const networkOptionNames = ["proxy", "ca", "cert", "key", "verifySsl"] as const satisfies ReadonlyArray<keyof NetworkOptions>

/** A level of `AsyncClientOptions.logLevel`, least to most severe; `"none"` logs nothing. */
export type LogLevelName = "trace" | "debug" | "info" | "warning" | "error" | "fatal" | "none"

/** A line logged, as `AsyncClientOptions.logger` receives it. */
export interface LogEntry {
  readonly level: LogLevelName
  readonly message: string
  /** E.g. `aleph_alpha.method`, `aleph_alpha.status`, `aleph_alpha.attempt`. */
  readonly annotations: Readonly<Record<string, unknown>>
  readonly date: Date
}

/**
 * The trailing options of every `AsyncClient` call: a `signal`, and overrides of the client's
 * `requestTimeout`, `totalRetries`/`retrySchedule` and `headers` for this call (see `CallOverrides`).
 */
export interface CallOptions extends CallOverrides {
  /** Aborts the call: it rejects with an `AbortError` and its HTTP request is closed. */
  readonly signal?: AbortSignal | undefined
}

const abortError = () => new AbortError({ message: "The call was aborted by its signal" })

/** The call's signal, checked: untyped code may pass anything as options, even options that throw when read. */
const signalOf = (options: CallOptions | undefined): AbortSignal | undefined => {
  let signal: unknown
  try {
    signal = options?.signal
    if (
      signal === undefined ||
      (typeof signal === "object" && signal !== null && typeof (signal as AbortSignal).aborted === "boolean" &&
        typeof (signal as AbortSignal).addEventListener === "function")
    ) return signal as AbortSignal | undefined
  } catch (thrown) {
    throw validationErrorFromThrow(thrown, options, "CallOptions")
  }
  throw new ValidationError({ path: "signal", issue: "expected an AbortSignal", subject: "CallOptions" })
}
const closedError = () => new ClientClosedError({ message: "The client is closed" })

/** The call's overrides when it has any: untyped code may pass options that throw when read. */
const overridesOf = (options: CallOptions | undefined): CallOverrides | undefined => {
  if (options === undefined) return undefined
  try {
    const { headers, requestTimeout, retrySchedule, totalRetries } = options
    return headers === undefined && requestTimeout === undefined && retrySchedule === undefined &&
        totalRetries === undefined
      ? undefined
      : { headers, requestTimeout, retrySchedule, totalRetries }
  } catch (thrown) {
    throw validationErrorFromThrow(thrown, options, "CallOptions")
  }
}

/** `f(client)` with the call's overrides (an invalid one fails it with a `ValidationError`). */
const withOverrides = <A>(effect: Effect.Effect<A, unknown>, options: CallOptions | undefined): Effect.Effect<A, unknown> => {
  const overrides = overridesOf(options)
  return overrides === undefined ? effect : AlephAlphaHttp.withCallOptions(overrides)(effect)
}

const streamWithOverrides = <A>(stream: Stream.Stream<A, unknown>, options: CallOptions | undefined): Stream.Stream<A, unknown> => {
  const overrides = overridesOf(options)
  return overrides === undefined ? stream : AlephAlphaHttp.withCallOptions(overrides)(stream)
}

const logLevels: Readonly<Record<LogLevelName, LogLevel.LogLevel>> = {
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

const levelNames = new Map<string, LogLevelName>(
  Object.entries(logLevels).map(([name, level]) => [level.label, name as LogLevelName])
)

const invalidClientOption = (path: string, issue: string) =>
  new ValidationError({ path, issue, subject: "AsyncClient options" })

/** The layer of the `logLevel` and `logger` options: the runtime's fiber refs. */
const loggingLayer = (options: AsyncClientOptions): Layer.Layer<never> => {
  const { logger, logLevel } = options
  if (logLevel !== undefined && !(typeof logLevel === "string" && Object.hasOwn(logLevels, logLevel))) {
    throw invalidClientOption("logLevel", `expected one of ${Object.keys(logLevels).map((name) => `"${name}"`).join(", ")}`)
  }
  if (logger !== undefined && typeof logger !== "function") throw invalidClientOption("logger", "expected a function")
  const level = logLevel === undefined ? Layer.empty : Logger.minimumLogLevel(logLevels[logLevel])
  if (logger === undefined) return level
  const toUser = Logger.make(({ annotations, date, logLevel, message }) => {
    const parts = Array.isArray(message) ? message : [message]
    try {
      logger({
        level: levelNames.get(logLevel.label) ?? "info",
        message: parts.map((part) => typeof part === "string" ? part : Inspectable.format(part)).join(" "),
        annotations: Object.fromEntries(HashMap.toEntries(annotations)),
        date
      })
    } catch {
      // a logger's failure is not the call's
    }
  })
  return Layer.merge(level, Logger.replace(Logger.defaultLogger, toUser))
}

/**
 * Makes the undici transport, or throws the `ValidationError` of a bad option; only the
 * package's Node build has one (see `AsyncClient.undiciTransport`).
 */
export type UndiciTransport = (
  options: Pick<AsyncClientOptions, "connectionLimit" | (typeof networkOptionNames)[number]>
) => Layer.Layer<HttpClient.HttpClient, unknown>

// Bun and Deno match the "node" export condition too, but Bun's undici is a stand-in without
// `Agent.request`, and both have a fast fetch of their own
const isBunOrDeno = (): boolean => "Bun" in globalThis || "Deno" in globalThis

const transportLayer = (
  options: AsyncClientOptions,
  undici: UndiciTransport | undefined
): Layer.Layer<HttpClient.HttpClient, unknown> => {
  const transport = options.transport ?? (undici !== undefined && !isBunOrDeno() ? "undici" : "fetch")
  if (transport !== "undici" && transport !== "fetch" && typeof transport !== "function") {
    throw new ValidationError({
      path: "transport",
      issue: "expected \"undici\", \"fetch\" or a fetch function",
      subject: "AsyncClient options"
    })
  }
  if (transport === "undici") {
    if (undici === undefined || "Bun" in globalThis) {
      throw new ValidationError({
        path: "transport",
        issue: "the undici transport runs on Node only (where aleph-alpha-client loads its Node build); use \"fetch\"",
        subject: "AsyncClient options"
      })
    }
    const { ca, cert, connectionLimit, key, proxy, verifySsl } = options
    return undici({ connectionLimit, proxy, ca, cert, key, verifySsl })
  }
  // a fetch cannot be given a proxy or CAs through `fetch`: refused rather than ignored
  const network = networkOptionNames.find((name) => options[name] !== undefined && !(name === "verifySsl" && options[name] === true))
  if (network !== undefined) {
    throw new ValidationError({
      path: network,
      issue:
        "the fetch transport cannot apply it (fetch takes no proxy or TLS settings); use the undici transport on Node, or configure your runtime's fetch (see the README, Networks and proxies)",
      subject: "AsyncClient options"
    })
  }
  return transport === "fetch"
    ? FetchHttpClient.layer
    : FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, transport)))
}

/** The token as given, or a plain one wrapped (then checked, as every token, by the transport). */
const asRedacted = (token: unknown): Redacted.Redacted<string> => {
  try {
    if (Redacted.isRedacted(token)) return token as Redacted.Redacted<string>
  } catch {
    // a revoked Proxy: wrapped, and refused as not a string
  }
  return Redacted.make(token as string)
}

/**
 * The Aleph Alpha API for Promise code. Rejections are the same error classes as the Effect
 * API (`err instanceof QuotaError`, `err._tag === "BusyError"`): each method's are those of the
 * Effect method's union (`ApiError` = `ValidationError`, an HTTP status error, `TransportError`
 * or `DecodeError`), plus `AbortError` and `ClientClosedError`; streams are `AsyncIterable`s
 * (leaving a `for await` loop early closes the request). Close it when done (`await using`
 * does that), which releases its connections.
 *
 * The constructor checks the options and throws a `ValidationError` for a bad one.
 */
export class AsyncClient {
  /** The undici transport: set by the Node build of the package (`"node"` export condition), absent elsewhere. */
  protected static readonly undiciTransport: UndiciTransport | undefined = undefined

  readonly #runtime: ManagedRuntime.ManagedRuntime<Client, unknown>
  #client: Promise<ClientService> | undefined
  #closed = false

  constructor(untyped: AsyncClientOptions) {
    // read once: options from untyped code may not be an object, or throw when read
    const copied = copyOptions(untyped, "AsyncClient options")
    if (Either.isLeft(copied)) throw copied.left
    const options = copied.right as unknown as AsyncClientOptions
    const { ca: _6, cert: _7, connectionLimit: _1, key: _8, proxy: _9, transport: _2, verifySsl: _3, logLevel: _4, logger: _5, ...rest } = options
    const clientOptions: AlephAlphaHttpOptions = {
      ...rest,
      token: asRedacted(options.token)
    }
    // fail here, not at the first call, so a misconfiguration shows where the client is made
    Effect.runSync(Effect.either(AlephAlphaHttp.resolveOptions(clientOptions))).pipe((result) => {
      if (result._tag === "Left") throw result.left
    })
    const logging = loggingLayer(options)
    this.#runtime = ManagedRuntime.make(
      Layer.merge(
        Layer.provide(
          Client.layer(clientOptions),
          transportLayer(options, (new.target as typeof AsyncClient).undiciTransport)
        ),
        logging
      ) as Layer.Layer<Client, unknown>
    )
  }

  /** Releases the connection pool; later calls reject with `ClientClosedError`. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#runtime.dispose()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  // ---------------------------------------------------------------------------------------
  // plumbing

  #service(): Promise<ClientService> {
    return this.#client ??= this.#runtime.runPromise(Client)
  }

  /** Runs a call; failures reject with the error itself, never a `FiberFailure`. */
  async #run<A>(f: (client: ClientService) => Effect.Effect<A, unknown>, options?: CallOptions): Promise<A> {
    if (this.#closed) throw closedError()
    const signal = signalOf(options)
    if (signal?.aborted) throw abortError()
    const client = await this.#service()
    const exit = await this.#runtime.runPromiseExit(
      withOverrides(f(client), options),
      signal === undefined ? undefined : { signal }
    )
    if (Exit.isSuccess(exit)) return exit.value
    throw this.#rejection(exit.cause, signal)
  }

  #rejection(cause: Cause.Cause<unknown>, signal: AbortSignal | undefined): unknown {
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure)) return failure.value
    if (Cause.isInterruptedOnly(cause)) {
      if (signal?.aborted) return abortError()
      if (this.#closed) return closedError()
    }
    return Cause.squash(cause)
  }

  /**
   * A stream as an `AsyncIterable`, pulled a chunk at a time and handed out from that chunk
   * (an iterator of our own: an async generator costs about 0.2 µs more per event). Leaving the
   * loop, the signal aborting or the client closing closes the stream's scope, which aborts its
   * request.
   */
  #iterate<A>(f: (client: ClientService) => Stream.Stream<A, unknown>, options?: CallOptions): AsyncIterable<A> {
    const self = this
    return {
      [Symbol.asyncIterator](): AsyncIterator<A> {
        let items: ReadonlyArray<A> = []
        let next = 0
        let finished = false
        // the start or the pull under way; a `next()` made meanwhile waits for it
        let pending: Promise<unknown> | undefined
        let pull: Effect.Effect<Chunk.Chunk<A>, Option.Option<unknown>> | undefined
        let cleanup: (() => Promise<void>) | undefined
        const signal = signalOf(options)
        const runtime = self.#runtime

        const finish = async () => {
          finished = true
          items = []
          const close = cleanup
          cleanup = undefined
          if (close !== undefined) await close()
        }
        const fail = async (error: unknown): Promise<never> => {
          await finish()
          throw error
        }
        const start = async () => {
          if (self.#closed) throw closedError()
          if (signal?.aborted) throw abortError()
          const client = await self.#service()
          const scope = await runtime.runPromise(Scope.make())
          const close = () => runtime.runPromise(Scope.close(scope, Exit.void)).catch(() => undefined)
          signal?.addEventListener("abort", close, { once: true })
          cleanup = () => {
            signal?.removeEventListener("abort", close)
            return close()
          }
          pull = await runtime.runPromise(Scope.extend(Stream.toPull(streamWithOverrides(f(client), options)), scope))
        }
        const step = async (): Promise<IteratorResult<A>> => {
          try {
            if (pull === undefined) await start()
            while (!finished) {
              if (signal?.aborted) throw abortError()
              if (next < items.length) return { done: false, value: items[next++]! }
              const exit = await runtime.runPromiseExit(pull!, signal === undefined ? undefined : { signal })
              if (Exit.isFailure(exit)) {
                // `toPull` fails with None at the end of the stream, with Some(error) on failure
                const failure = Cause.failureOption(exit.cause as Cause.Cause<Option.Option<unknown>>)
                if (Option.isSome(failure)) {
                  if (Option.isNone(failure.value)) break
                  throw failure.value.value
                }
                throw self.#rejection(exit.cause, signal)
              }
              items = Chunk.toReadonlyArray(exit.value)
              next = 0
            }
          } catch (error) {
            return fail(error)
          }
          await finish()
          return { done: true, value: undefined }
        }
        const advance = (): Promise<IteratorResult<A>> => {
          if (finished) return Promise.resolve({ done: true, value: undefined })
          // a chunk may hold many events: none is handed out once the signal aborted
          if (next < items.length && signal?.aborted !== true) {
            return Promise.resolve({ done: false, value: items[next++]! })
          }
          return queued(step())
        }
        const queued = (result: Promise<IteratorResult<A>>) => {
          pending = result
          const settled = () => {
            if (pending === result) pending = undefined
          }
          result.then(settled, settled)
          return result
        }
        return {
          next: () => pending === undefined ? advance() : queued(pending.then(advance, advance)),
          return: async () => {
            if (pending !== undefined) await pending.catch(() => undefined)
            await finish()
            return { done: true, value: undefined }
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Completions

  /** `POST complete`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  complete(request: CompletionRequest.Input, model: string, options?: CallOptions): Promise<CompletionResponse> {
    return this.#run((client) => client.complete(request, model), options)
  }

  /** `POST complete`, streamed. The iteration throws an `ApiError` class, `AbortError` or `ClientClosedError`. */
  completeWithStreaming(
    request: CompletionRequest.Input,
    model: string,
    options?: CallOptions
  ): AsyncIterable<CompletionStreamEvent> {
    return this.#iterate((client) => client.completeWithStreaming(request, model), options)
  }

  // ---------------------------------------------------------------------------------------
  // ChatCompletions

  /**
   * `POST chat/completions`; the `model` argument wins over `request.model`. Rejects with an
   * `ApiError` class, `AbortError` or `ClientClosedError`.
   */
  chat(request: ChatRequest.Input, options?: CallOptions): Promise<ChatResponse>
  chat(request: ChatRequest.Input, model?: string, options?: CallOptions): Promise<ChatResponse>
  chat(request: ChatRequest.Input, modelOrOptions?: string | CallOptions, trailing?: CallOptions): Promise<ChatResponse> {
    const [model, options] = modelAndOptions(modelOrOptions, trailing)
    return this.#run((client) => client.chat(request, model), options)
  }

  /**
   * `POST chat/completions`, streamed; the options may come second, as for `chat`. The
   * iteration throws like `completeWithStreaming`.
   */
  chatWithStreaming(request: ChatRequest.Input, options?: CallOptions): AsyncIterable<ChatStreamEvent>
  chatWithStreaming(request: ChatRequest.Input, model?: string, options?: CallOptions): AsyncIterable<ChatStreamEvent>
  chatWithStreaming(
    request: ChatRequest.Input,
    modelOrOptions?: string | CallOptions,
    trailing?: CallOptions
  ): AsyncIterable<ChatStreamEvent> {
    const [model, options] = modelAndOptions(modelOrOptions, trailing)
    return this.#iterate((client) => client.chatWithStreaming(request, model), options)
  }

  /**
   * Chat with output following `schema`, decoded. Rejects with a `StructuredChatError` class
   * (`ApiError` or `StructuredOutputError`), `AbortError` or `ClientClosedError`.
   */
  chatStructured<A, I>(
    request: ChatRequest.Input,
    schema: Schema.Schema<A, I>,
    options?: CallOptions & FromSchemaOptions
  ): Promise<A>
  chatStructured<A, I>(
    request: ChatRequest.Input,
    schema: Schema.Schema<A, I>,
    model?: string,
    options?: CallOptions & FromSchemaOptions
  ): Promise<A>
  chatStructured<A, I>(
    request: ChatRequest.Input,
    schema: Schema.Schema<A, I>,
    modelOrOptions?: string | (CallOptions & FromSchemaOptions),
    trailing?: CallOptions & FromSchemaOptions
  ): Promise<A> {
    const [model, options] = modelAndOptions(modelOrOptions, trailing)
    // `chatStructured` reads only its own options, `#run` only the signal and the overrides
    return this.#run((client) => client.chatStructured(request, schema, model, options), options)
  }

  /**
   * The tool loop (see `Client.chatWithTools`) with async handlers, which get the call's
   * `signal`. Rejects with a `ToolLoopError` class (`ApiError`, `MaxRoundsExceededError`,
   * `ToolResultError`), `AbortError`, `ClientClosedError`, or what a handler threw, as it is.
   */
  chatWithTools<const Tools extends ReadonlyArray<ChatTool.Any>, Handlers extends AsyncChatToolHandlers<Tools>>(
    request: ChatRequest.Input,
    options: ChatWithToolsOptions<Tools, Handlers> & CallOptions
  ): Promise<ChatWithToolsResult> {
    return this.#run(
      (client) => Effect.flatMap(ToolLoop.withAsyncHandlers(options), (effectOptions) => client.chatWithTools(request, effectOptions)),
      options
    )
  }

  /** The tool loop, streamed: each round's model events, then a `ToolResult` per tool run. The iteration throws like `chatWithTools`. */
  chatWithToolsStreaming<const Tools extends ReadonlyArray<ChatTool.Any>, Handlers extends AsyncChatToolHandlers<Tools>>(
    request: ChatRequest.Input,
    options: ChatWithToolsOptions<Tools, Handlers> & CallOptions
  ): AsyncIterable<ChatWithToolsEvent> {
    return this.#iterate(
      (client) =>
        Stream.unwrap(Effect.map(ToolLoop.withAsyncHandlers(options), (effectOptions) =>
          client.chatWithToolsStreaming(request, effectOptions))),
      options
    )
  }

  // ---------------------------------------------------------------------------------------
  // Embeddings

  /** `POST embed`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  embed(request: EmbeddingRequest.Input, model: string, options?: CallOptions): Promise<EmbeddingResponse> {
    return this.#run((client) => client.embed(request, model), options)
  }

  /** `POST semantic_embed`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  semanticEmbed(request: SemanticEmbeddingRequest.Input, model: string, options?: CallOptions): Promise<SemanticEmbeddingResponse> {
    return this.#run((client) => client.semanticEmbed(request, model), options)
  }

  /**
   * `POST batch_semantic_embed` in batches, all or nothing, in input order. Rejects with an
   * `ApiError` class, `AbortError` or `ClientClosedError`.
   */
  batchSemanticEmbed(
    request: BatchSemanticEmbeddingRequest.Input,
    model?: string,
    options?: CallOptions & AsyncBatchSemanticEmbedOptions
  ): Promise<BatchSemanticEmbeddingResponse> {
    // `batchSemanticEmbed` reads only its own options, `#run` only the signal
    return this.#run((client) => client.batchSemanticEmbed(request, model, options), options)
  }

  /** The batches of `batchSemanticEmbed` as each completes. The iteration throws like `completeWithStreaming`. */
  batchSemanticEmbedStream(
    request: BatchSemanticEmbeddingRequest.Input,
    model?: string,
    options?: CallOptions & AsyncBatchSemanticEmbedOptions
  ): AsyncIterable<SemanticEmbeddingBatch> {
    return this.#iterate((client) => client.batchSemanticEmbedStream(request, model, options), options)
  }

  /** `POST instructable_embed`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  instructableEmbed(
    request: InstructableEmbeddingRequest.Input,
    model: string,
    options?: CallOptions
  ): Promise<InstructableEmbeddingResponse> {
    return this.#run((client) => client.instructableEmbed(request, model), options)
  }

  /** `POST embeddings` (OpenAI-compatible). Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  embeddings(request: EmbeddingV2Request.Input, model: string, options?: CallOptions): Promise<EmbeddingV2Response> {
    return this.#run((client) => client.embeddings(request, model), options)
  }

  // ---------------------------------------------------------------------------------------
  // Explanations, Evaluations

  /** `POST explain`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  explain(request: ExplanationRequest.Input, model: string, options?: CallOptions): Promise<ExplanationResponse> {
    return this.#run((client) => client.explain(request, model), options)
  }

  /** `POST evaluate`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  evaluate(request: EvaluationRequest.Input, model: string, options?: CallOptions): Promise<EvaluationResponse> {
    return this.#run((client) => client.evaluate(request, model), options)
  }

  // ---------------------------------------------------------------------------------------
  // Tokenization

  /** `POST tokenize`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  tokenize(request: TokenizationRequest.Input, model: string, options?: CallOptions): Promise<TokenizationResponse> {
    return this.#run((client) => client.tokenize(request, model), options)
  }

  /** `POST detokenize`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  detokenize(request: DetokenizationRequest.Input, model: string, options?: CallOptions): Promise<DetokenizationResponse> {
    return this.#run((client) => client.detokenize(request, model), options)
  }

  /**
   * `GET models/{model}/tokenizer`: the model's `tokenizer.json`, as text (`asyncTokenizer` of
   * `aleph-alpha-client/tokenizer` builds the offline tokenizer of it). Rejects with an
   * `ApiError` class, `AbortError` or `ClientClosedError`.
   */
  tokenizerJson(model: string, options?: CallOptions): Promise<string> {
    return this.#run((client) => client.tokenizerJson(model), options)
  }

  // ---------------------------------------------------------------------------------------
  // Translations, Reranking, Steering

  /**
   * `POST translate` (the model is a field of the request). Rejects with an `ApiError` class,
   * `AbortError` or `ClientClosedError`.
   */
  translate(request: TranslationRequest.Input, options?: CallOptions): Promise<TranslationResponse> {
    return this.#run((client) => client.translate(request), options)
  }

  /** `POST rerank`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  rerank(request: RerankRequest.Input, model: string, options?: CallOptions): Promise<RerankResponse> {
    return this.#run((client) => client.rerank(request, model), options)
  }

  /** `POST steering_concepts` (BETA). Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  createSteeringConcept(
    request: SteeringConceptCreationRequest.Input,
    options?: CallOptions
  ): Promise<SteeringConceptCreationResponse> {
    return this.#run((client) => client.createSteeringConcept(request), options)
  }

  // ---------------------------------------------------------------------------------------
  // Models

  /** `GET models_available`. Rejects with an `ApiError` class, `AbortError` or `ClientClosedError`. */
  models(options?: CallOptions): Promise<ReadonlyArray<ModelInfo>> {
    return this.#run((client) => client.models(), options)
  }

  /**
   * `GET version`. Rejects with an `ApiError` class (`DecodeError` only for an answer past
   * `maxResponseSize`), `AbortError` or `ClientClosedError`.
   */
  getVersion(options?: CallOptions): Promise<string> {
    return this.#run((client) => client.getVersion(), options)
  }

  /**
   * Checks the API version (at least 1.19.0 of major 1). Rejects with a `VersionCheckError` class
   * (`VersionMismatchError` or as `getVersion`), `AbortError` or `ClientClosedError`.
   */
  validateVersion(options?: CallOptions): Promise<string> {
    return this.#run((client) => client.validateVersion(), options)
  }
}
