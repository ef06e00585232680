/**
 * An embedded fake of the Aleph Alpha API: an `HttpApp` answering `complete`,
 * `chat/completions` (both also as SSE streams), `models_available` and `version` with
 * deterministic output, recording every request and injecting scripted faults.
 *
 * The app does not listen anywhere by itself: serve it in memory (`InMemory`, behind a fetch
 * shim, following the caller's `TestClock`) or on 127.0.0.1 (`Loopback`; from Promise code,
 * `await Loopback.start()`).
 *
 * What it answers, in order: the request is recorded, the first scripted fault that applies to
 * it is taken (see `Fault`), the latency is slept; then a `Status` / `DropBeforeHeaders` /
 * `StallHeaders` fault answers instead; then a missing `Authorization: Bearer <token>` is a
 * 401 `UNAUTHENTICATED`, an unknown path a 404 `NOT_FOUND`, an unknown `model` a 404
 * `UNKNOWN_MODEL`; the other faults cut or stall the real answer's body.
 *
 * Generated text: the words of the prompt (`complete`) or of the last user message (chat),
 * one word per token, cycled until `maximum_tokens` / `max_tokens` (finish reason
 * `maximum_tokens` / `length`) or, without a limit, echoed once (`end_of_text` / `stop`);
 * completion texts start with a space, chat texts do not. Choice `i` of `n` starts `i` words
 * later. `stop_sequences` / `stop` cut before the token completing one. Chat with `tools`
 * calls a tool when `tool_choice` is `required` or names one, or (`auto`) when the user spoke
 * last — every tool the message names (several calls in one answer), else the first — with
 * arguments sampled from its parameter schema; a `json_schema` response format answers a
 * document sampled from the schema (strings are the user's text). Chat ids are
 * `chatcmpl-fake-<request number>`, `created` is read from `Clock`.
 *
 * Embeddings (`embed`, `semantic_embed`, `batch_semantic_embed` — at most 100 prompts, `model`
 * optional —, `instructable_embed`, `embeddings`): deterministic float32 vectors of
 * `embeddingSize` floats (128 with `compress_to_size: 128`, `dimensions` on `embeddings`)
 * derived from the words of the prompt, so prompts sharing words are similar; `embed` pools
 * per-layer word vectors for real and resolves negative layers on a 40-layer model. Token
 * counts: one per word, one per token id, 144 per image, at least 1 per prompt.
 *
 * `explain`, `evaluate`, `tokenize`, `detokenize`, `translate`, `rerank`, `steering_concepts`
 * and `GET models/{model}/tokenizer` answer deterministic, plausible data (see
 * `internal/tasks.ts`): explanation scores favour segments sharing a word with the target and
 * their absolute values sum to 1 per explanation; rerank scores follow the share of the query's
 * words a document contains, best first; the tokenizer is a tiny byte-level BPE served as a
 * Hugging Face `tokenizer.json`, and `tokenize` / `detokenize` use it too; a steering concept
 * answers 201 with an id hashed from its examples. A malformed body is a 400 `BAD_REQUEST`.
 *
 * CORS, so that a page or a worker on another origin can use it: an `OPTIONS` preflight is
 * answered 204 at once (no token, not recorded, no fault taken), allowing `GET` and `POST` with
 * the headers the browser asks for; every other answer, errors and streams included, carries
 * `access-control-allow-origin: *` and exposes the headers the client reads (`retry-after`,
 * `retry-after-ms`, `content-type`, request ids).
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { FakeConnection } from "./FakeConnection.js"
import type * as Fault from "./Fault.js"
import * as EmbeddingGeneration from "./internal/embedding.js"
import * as Generation from "./internal/generation.js"
import * as Tasks from "./internal/tasks.js"
import * as FakeTokenizer from "./internal/tokenizer.js"

/** A request as the fake server received it. */
export interface RecordedRequest {
  readonly method: string
  /** The path as requested (`"/v1/complete"`), without the query. */
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  /** Header names are lower-case; repeated headers are joined with `", "`. */
  readonly headers: Readonly<Record<string, string>>
  /** The body parsed as JSON, else its raw text; `undefined` when empty. */
  readonly body: unknown
}

/** A model in the wire shape of `GET models_available`; missing keys get defaults. */
export interface ModelDescription {
  readonly name: string
  readonly [key: string]: unknown
}

/** How a fake server is configured. */
export interface Options {
  /**
   * The models `GET models_available` lists and `model` may name (any other name is a 404
   * `UNKNOWN_MODEL`); a plain name gets a generic description. Default: `luminous-base`,
   * `pharia-1-llm-7b-control`, `llama-3.1-8b-instruct`.
   */
  readonly models?: ReadonlyArray<string | ModelDescription> | undefined
  /** What `GET version` answers. Default: `"1.19.0"`. */
  readonly version?: string | undefined
  /** How many content chunks a streamed completion or chat choice is cut into. Default: one per token. */
  readonly streamChunks?: number | undefined
  /** Slept before answering each request (with `Effect.sleep`, so it follows `TestClock`). Default: none. */
  readonly latency?: Duration.DurationInput | undefined
  /** Whether requests are kept for `requests`; benchmarks turn it off. Default: `true`. */
  readonly recordRequests?: boolean | undefined
  /**
   * The `tokenizer.json` document `GET models/{model}/tokenizer` serves. Default: the fake
   * server's own tiny byte-level BPE, which `tokenize` and `detokenize` always use.
   */
  readonly tokenizer?: Readonly<Record<string, unknown>> | undefined
  /**
   * Floats per embedding vector (`embed`, and the semantic endpoints without
   * `compress_to_size: 128`, which always gives 128; `embeddings` without `dimensions`).
   * Default: 128.
   */
  readonly embeddingSize?: number | undefined
}

/** The fake server: its app, what it received, and the knobs for faults. */
export interface Service {
  /**
   * The fake API. Every route is served relative to `/` and to `/v1/`, so a client's base URL
   * may end in `/v1` or not. Needs a runner to be reached (`InMemory`, `Loopback`).
   */
  readonly app: HttpApp.Default<never, never>
  /** Every request received so far, in order of arrival. */
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  /**
   * Queues faults for the next requests, in order: each request takes the first queued fault
   * that applies to it (any, unless the fault names a `path` or `method`); `times` repeats one.
   */
  readonly script: (...faults: ReadonlyArray<Fault.Fault>) => Effect.Effect<void>
  /** Replaces the latency slept before each answer; `undefined` answers at once. */
  readonly setLatency: (latency: Duration.DurationInput | undefined) => Effect.Effect<void>
  /** Drops queued faults and recorded requests and restores the configured latency. */
  readonly reset: Effect.Effect<void>
}

/** The models a fake server knows unless told otherwise. */
export const defaultModels: ReadonlyArray<ModelDescription> = [
  {
    name: "luminous-base",
    description: "Multilingual model trained on English, German, French, Spanish and Italian (fake).",
    max_context_size: 2048,
    hostings: [],
    image_support: true,
    qa_support: false,
    summarization_support: false,
    embedding_types: [
      "symmetric_128",
      "asymmetric_128_document",
      "asymmetric_128_query",
      "symmetric",
      "asymmetric_document",
      "asymmetric_query"
    ],
    maximum_completion_tokens: 8192,
    aligned: false
  },
  {
    name: "pharia-1-llm-7b-control",
    description: "Pharia-1-LLM-7B-control (fake).",
    max_context_size: 8192,
    hostings: [],
    image_support: false,
    qa_support: false,
    summarization_support: false,
    embedding_types: [],
    maximum_completion_tokens: 8192,
    aligned: true
  },
  {
    name: "llama-3.1-8b-instruct",
    description: "Llama 3.1 8B Instruct (fake).",
    max_context_size: 8192,
    hostings: [],
    image_support: false,
    qa_support: false,
    summarization_support: false,
    embedding_types: [],
    maximum_completion_tokens: 8192,
    aligned: true
  },
  {
    name: "pharia-1-mt-translation",
    description: "Pharia-1-MT translation model (fake).",
    max_context_size: 8192,
    hostings: [],
    image_support: false,
    qa_support: false,
    summarization_support: false,
    embedding_types: [],
    maximum_completion_tokens: 8192,
    aligned: false
  },
  {
    name: "bge-reranker-v2-m3",
    description: "BGE reranker v2 m3 (fake).",
    max_context_size: 8192,
    hostings: [],
    image_support: false,
    qa_support: false,
    summarization_support: false,
    embedding_types: [],
    maximum_completion_tokens: null,
    aligned: false
  }
]

const describeModel = (model: string | ModelDescription): ModelDescription => {
  const name = typeof model === "string" ? model : model.name
  const known = defaultModels.find((candidate) => candidate.name === name)
  const base: ModelDescription = known ?? {
    name,
    description: `${name} (fake).`,
    max_context_size: 8192,
    hostings: [],
    image_support: false,
    qa_support: false,
    summarization_support: false,
    embedding_types: [],
    maximum_completion_tokens: 8192,
    aligned: false
  }
  return typeof model === "string" ? base : { ...base, ...model }
}

// What the route handlers need of the request: its already-read body and its number.
class Incoming extends Context.Tag("aleph-alpha-client/testing/FakeServer/Incoming")<Incoming, {
  readonly body: unknown
  readonly sequence: number
}>() {}

const encoder = new TextEncoder()

const apiError = (status: number, error: string, code: string) =>
  HttpServerResponse.unsafeJson({ error, code }, { status })

const notFound = apiError(404, "Not found", "NOT_FOUND")
const unauthenticated = apiError(401, "Missing or invalid bearer token", "UNAUTHENTICATED")

// Any origin: the fake server holds nothing worth protecting and tests run pages on their own ports.
const corsHeaders = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "retry-after, retry-after-ms, content-type, request-id, x-request-id"
} as const

// What the client sends; a browser names the headers it will send, and those are allowed instead.
const allowedHeaders = "authorization, content-type, accept, traceparent, tracestate, b3, user-agent"

const preflight = (request: HttpServerRequest.HttpServerRequest): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.empty({
    status: 204,
    headers: {
      ...corsHeaders,
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": request.headers["access-control-request-headers"] ?? allowedHeaders,
      "access-control-max-age": "600",
      vary: "access-control-request-headers"
    }
  })

const sse = (events: ReadonlyArray<string>) =>
  // one stream element per event, so faults can cut between events
  HttpServerResponse.stream(Stream.map(Stream.fromIterable(events), (event) => encoder.encode(event)), {
    contentType: "text/event-stream",
    headers: { "cache-control": "no-cache" }
  })

const record = (request: HttpServerRequest.HttpServerRequest, text: string): RecordedRequest => {
  const url = new URL(request.url, "http://fake-server.invalid")
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(request.headers as Record<string, string | ReadonlyArray<string>>)) {
    headers[name.toLowerCase()] = typeof value === "string" ? value : value.join(", ")
  }
  let body: unknown = undefined
  if (text !== "") {
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
  }
  return { method: request.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body }
}

const statusResponse = (fault: Fault.Status): HttpServerResponse.HttpServerResponse => {
  const headers = { ...fault.headers, ...(fault.retryAfter === undefined ? {} : { "retry-after": fault.retryAfter }) }
  const options = { status: fault.status, headers }
  return fault.body === undefined
    ? HttpServerResponse.empty(options)
    : typeof fault.body === "string"
    ? HttpServerResponse.text(fault.body, options)
    : HttpServerResponse.unsafeJson(fault.body, options)
}

// "/v1/chat/completions/", "v1/chat/completions" and "chat/completions" name one endpoint
const endpointOf = (path: string): string => path.replace(/^\/+/, "").replace(/^v1(\/|$)/, "").replace(/\/+$/, "")

// String(): a script may come from untyped code, and the server must not die of it
const appliesTo = (fault: Fault.Target, { method, path }: RecordedRequest): boolean =>
  (fault.method === undefined || String(fault.method).toUpperCase() === method.toUpperCase()) &&
  (fault.path === undefined || endpointOf(String(fault.path)) === endpointOf(path))

type BodyFault = Fault.DropMidBody | Fault.DropMidStream | Fault.StallBody | Fault.StallStream

// Keeps the answer's status and headers but only part of its body, then `tail` (a drop or silence).
const truncate = (
  response: HttpServerResponse.HttpServerResponse,
  fault: BodyFault,
  tail: Stream.Stream<never>
): HttpServerResponse.HttpServerResponse => {
  const body = response.body
  const half = (bytes: Uint8Array) => bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2)))
  let head: Stream.Stream<Uint8Array>
  switch (body._tag) {
    case "Stream": {
      const events = body.stream as Stream.Stream<Uint8Array>
      head = fault._tag === "DropMidStream" || fault._tag === "StallStream"
        ? Stream.take(events, Math.max(0, fault.afterEvents))
        : Stream.map(Stream.take(events, 1), half)
      break
    }
    case "Uint8Array": {
      head = body.body.length === 0 ? Stream.empty : Stream.make(half(body.body))
      break
    }
    default: {
      head = Stream.empty
    }
  }
  return HttpServerResponse.setBody(response, HttpBody.stream(Stream.concat(head, tail), body.contentType))
}

/** Builds a fake server; nothing listens until a runner serves its `app`. */
export const make = (options: Options = {}): Effect.Effect<Service> => Effect.sync(() => unsafeMake(options))

/** A fresh fake server as a layer. */
export const layer = (options: Options = {}): Layer.Layer<FakeServer> => Layer.effect(FakeServer, make(options))

const unsafeMake = (options: Options): Service => {
  const models = (options.models ?? defaultModels).map(describeModel)
  const modelNames = new Set(models.map((model) => model.name))
  const version = options.version ?? "1.19.0"
  const streamChunks = options.streamChunks
  const recordRequests = options.recordRequests ?? true
  const embeddingSize = Math.max(1, Math.floor(options.embeddingSize ?? EmbeddingGeneration.DEFAULT_EMBEDDING_SIZE))

  // plain closures: every access is synchronous, so there is nothing to race
  let requests: Array<RecordedRequest> = []
  let faults: Array<{ readonly fault: Fault.Fault; remaining: number }> = []
  let latency: Duration.DurationInput | undefined = options.latency
  let sequence = 0

  // the first queued fault that applies to the request; the ones passed over keep their place
  const takeFault = (request: RecordedRequest): Fault.Fault | undefined => {
    const index = faults.findIndex(({ fault }) => appliesTo(fault, request))
    const next = faults[index]
    if (next === undefined) return undefined
    next.remaining -= 1
    if (next.remaining <= 0) faults.splice(index, 1)
    return next.fault
  }

  // Checks the `model` of a task request: undefined when it is known.
  const checkModel = (body: Generation.JsonObject) =>
    typeof body.model !== "string"
      ? apiError(400, "Missing field `model`", "BAD_REQUEST")
      : modelNames.has(body.model)
      ? undefined
      : apiError(404, `Model "${body.model}" is not available`, "UNKNOWN_MODEL")

  const created = Effect.map(Clock.currentTimeMillis, (millis) => Math.floor(millis / 1000))

  const complete = Effect.gen(function*() {
    const { body } = yield* Incoming
    if (!Generation.isObject(body)) return apiError(400, "The body must be a JSON object", "BAD_REQUEST")
    const invalid = checkModel(body)
    if (invalid !== undefined) return invalid
    if (body.prompt === undefined) return apiError(400, "Missing field `prompt`", "BAD_REQUEST")
    return body.stream === true
      ? sse(Generation.completionEvents(body, streamChunks))
      : HttpServerResponse.unsafeJson(Generation.completionResponse(body))
  })

  const chat = Effect.gen(function*() {
    const { body, sequence } = yield* Incoming
    if (!Generation.isObject(body)) return apiError(400, "The body must be a JSON object", "BAD_REQUEST")
    const invalid = checkModel(body)
    if (invalid !== undefined) return invalid
    if (!Array.isArray(body.messages)) return apiError(400, "Missing field `messages`", "BAD_REQUEST")
    const now = yield* created
    return body.stream === true
      ? sse(Generation.chatEvents(body, sequence, now, streamChunks))
      : HttpServerResponse.unsafeJson(Generation.chatResponse(body, sequence, now))
  })

  // The embedding endpoints: `model` is required except on `batch_semantic_embed` (the server's
  // default embedding model), and a malformed body is a 400.
  const embedding = (
    generate: (body: Generation.JsonObject, size: number) => EmbeddingGeneration.Result,
    modelOptional = false
  ) =>
    Effect.gen(function*() {
      const { body } = yield* Incoming
      if (!Generation.isObject(body)) return apiError(400, "The body must be a JSON object", "BAD_REQUEST")
      const invalid = modelOptional && body.model === undefined ? undefined : checkModel(body)
      if (invalid !== undefined) return invalid
      const result = generate(body, embeddingSize)
      return EmbeddingGeneration.isInvalid(result)
        ? apiError(400, result.invalid, "BAD_REQUEST")
        : HttpServerResponse.unsafeJson(result)
    })

  // explain, evaluate, tokenize, detokenize, translate (its model is in the body), rerank,
  // steering_concepts (no model; 201): a malformed body is a 400.
  const task = (
    answer: (body: Generation.JsonObject) => Tasks.Answer,
    { model = true, status = 200 }: { readonly model?: boolean; readonly status?: number } = {}
  ) =>
    Effect.gen(function*() {
      const { body } = yield* Incoming
      if (!Generation.isObject(body)) return apiError(400, "The body must be a JSON object", "BAD_REQUEST")
      const invalid = model ? checkModel(body) : undefined
      if (invalid !== undefined) return invalid
      const result = answer(body)
      return "error" in result
        ? apiError(400, result.error, "BAD_REQUEST")
        : HttpServerResponse.unsafeJson(result.body, { status })
    })

  const tokenizer = Effect.map(HttpRouter.params, ({ model }) =>
    model !== undefined && modelNames.has(model)
      ? HttpServerResponse.unsafeJson(options.tokenizer ?? FakeTokenizer.tokenizerJson())
      : apiError(404, `Model "${model}" is not available`, "UNKNOWN_MODEL"))

  const routes = HttpRouter.empty.pipe(
    HttpRouter.get("/models_available", Effect.succeed(HttpServerResponse.unsafeJson(models))),
    HttpRouter.get("/version", Effect.succeed(HttpServerResponse.text(version))),
    HttpRouter.post("/complete", complete),
    HttpRouter.post("/chat/completions", chat),
    HttpRouter.post("/explain", task(Tasks.explanationResponse)),
    HttpRouter.post("/evaluate", task(Tasks.evaluationResponse)),
    HttpRouter.post("/tokenize", task(Tasks.tokenizationResponse)),
    HttpRouter.post("/detokenize", task(Tasks.detokenizationResponse)),
    HttpRouter.get("/models/:model/tokenizer", tokenizer),
    HttpRouter.post("/translate", task(Tasks.translationResponse)),
    HttpRouter.post("/rerank", task(Tasks.rerankResponse)),
    HttpRouter.post("/steering_concepts", task(Tasks.steeringConceptResponse, { model: false, status: 201 })),
    HttpRouter.post("/embed", embedding(EmbeddingGeneration.embedResponse)),
    HttpRouter.post("/semantic_embed", embedding(EmbeddingGeneration.semanticEmbedResponse)),
    HttpRouter.post("/batch_semantic_embed", embedding(EmbeddingGeneration.batchSemanticEmbedResponse, true)),
    HttpRouter.post("/instructable_embed", embedding(EmbeddingGeneration.instructableEmbedResponse)),
    HttpRouter.post("/embeddings", embedding(EmbeddingGeneration.embeddingsResponse))
  )
  const router = HttpRouter.concat(routes, HttpRouter.prefixAll(routes, "/v1"))

  const answer = (request: HttpServerRequest.HttpServerRequest) => Effect.gen(function*() {
    // read the whole body first: drops then never race an unread request body
    const text = yield* Effect.orElseSucceed(request.text, () => "")
    const recorded = record(request, text)
    if (recordRequests) requests.push(recorded)
    const number = sequence++
    const fault = takeFault(recorded)

    const delay = fault?._tag === "Latency" ? fault.duration : latency
    if (delay !== undefined) yield* Effect.sleep(delay)

    const connection = yield* Effect.serviceOption(FakeConnection)
    const drop: Effect.Effect<never> = Option.match(connection, {
      onNone: () => Effect.dieMessage("FakeServer: this runner provides no FakeConnection, so it cannot drop"),
      onSome: (connection) => connection.drop(request)
    })

    switch (fault?._tag) {
      case "Status":
        return statusResponse(fault)
      case "DropBeforeHeaders":
        return yield* drop
      case "StallHeaders":
        return yield* Effect.never
    }

    const authorization = recorded.headers.authorization ?? ""
    const response = /^Bearer\s+\S/.test(authorization)
      ? yield* router.pipe(
        Effect.catchTag("RouteNotFound", () => Effect.succeed(notFound)),
        Effect.provideService(Incoming, { body: recorded.body, sequence: number })
      )
      : unauthenticated

    switch (fault?._tag) {
      case "DropMidBody":
      case "DropMidStream":
        return truncate(response, fault, Stream.fromEffect(drop))
      case "StallBody":
      case "StallStream":
        return truncate(response, fault, Stream.never)
      default:
        return response
    }
  })

  // The platform runs apps uninterruptibly (only router handlers opt back in): this one must be
  // interruptible, or a stalled or sleeping answer would outlive the client that gave up on it.
  const app: HttpApp.Default<never, never> = Effect.interruptible(Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request) =>
      request.method === "OPTIONS"
        ? Effect.succeed(preflight(request))
        : Effect.map(answer(request), (response) => HttpServerResponse.setHeaders(response, corsHeaders))
  ))

  return {
    app,
    requests: Effect.sync(() => requests.slice()),
    script: (...scripted) =>
      Effect.sync(() => {
        for (const fault of scripted) {
          faults.push({ fault, remaining: Math.max(1, fault.times ?? 1) })
        }
      }),
    setLatency: (duration) =>
      Effect.sync(() => {
        latency = duration
      }),
    reset: Effect.sync(() => {
      requests = []
      faults = []
      latency = options.latency
    })
  }
}

/** The fake server as a service: `yield* FakeServer` in a test that provided `FakeServer.layer()`. */
export class FakeServer extends Context.Tag("aleph-alpha-client/testing/FakeServer")<FakeServer, Service>() {
  /** @see {@link make} */
  static readonly make = make
  /** @see {@link layer} */
  static readonly layer = layer
}
