/**
 * The `Embeddings` family: `embed`, `semanticEmbed`, `batchSemanticEmbed` (and its stream),
 * `instructableEmbed` and the OpenAI-compatible `embeddings`.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { type ApiError, DecodeError, ValidationError } from "../errors/AlephAlphaError.js"
import {
  type BatchSemanticEmbedOptions,
  BatchSemanticEmbeddingRequest,
  BatchSemanticEmbeddingResponse,
  BatchSemanticEmbeddingResponseFromWire,
  EmbeddingRequest,
  type EmbeddingResponse,
  EmbeddingResponseFromWire,
  EmbeddingV2Request,
  EmbeddingV2Response,
  type EmbeddingVector,
  InstructableEmbeddingRequest,
  type InstructableEmbeddingResponse,
  InstructableEmbeddingResponseFromWire,
  type SemanticEmbeddingBatch,
  SemanticEmbeddingRequest,
  type SemanticEmbeddingResponse,
  SemanticEmbeddingResponseFromWire
} from "../schema/Embedding.js"
import { validationErrorFromThrow } from "../schema/internal/thrown.js"
import { encodeInput } from "../schema/internal/untypedInput.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import * as Telemetry from "./Telemetry.js"

/** The methods of the `Embeddings` family. */
export interface EmbeddingsService {
  /** `POST embed`: hidden-state embeddings of `request.layers` × `request.pooling`. */
  readonly embed: (request: EmbeddingRequest.Input, model: string) => Effect.Effect<EmbeddingResponse, ApiError>
  /** `POST semantic_embed`: one semantic embedding of one prompt. */
  readonly semanticEmbed: (
    request: SemanticEmbeddingRequest.Input,
    model: string
  ) => Effect.Effect<SemanticEmbeddingResponse, ApiError>
  /**
   * `POST batch_semantic_embed`, all or nothing: the prompts are sent in requests of
   * `batchSize` (1–100, default 100), `concurrency` at a time (default 1); the answer keeps
   * the input order whatever order the batches finish in, sums the token counts and takes
   * `modelVersion` from the last batch. If a batch fails after its retries, the call fails
   * with that error (the other requests in flight are cancelled) — never with a shorter list.
   * Without `model`, none is sent and the server picks its default embedding model. Bad
   * options or prompts are a `ValidationError` before anything is sent.
   */
  readonly batchSemanticEmbed: (
    request: BatchSemanticEmbeddingRequest.Input,
    model?: string | undefined,
    options?: BatchSemanticEmbedOptions | undefined
  ) => Effect.Effect<BatchSemanticEmbeddingResponse, ApiError>
  /**
   * The same as a stream: one {@link SemanticEmbeddingBatch} per request, emitted as each
   * completes (so in any order with `concurrency > 1`; `offset` places it). What was emitted
   * stays delivered when a later batch fails.
   */
  readonly batchSemanticEmbedStream: (
    request: BatchSemanticEmbeddingRequest.Input,
    model?: string | undefined,
    options?: BatchSemanticEmbedOptions | undefined
  ) => Stream.Stream<SemanticEmbeddingBatch, ApiError>
  /** `POST instructable_embed`: an embedding of `input` steered by `instruction`. */
  readonly instructableEmbed: (
    request: InstructableEmbeddingRequest.Input,
    model: string
  ) => Effect.Effect<InstructableEmbeddingResponse, ApiError>
  /**
   * `POST embeddings`, the OpenAI-compatible endpoint. Vectors are plain number arrays also
   * when requested as base64 (decoded as little-endian float32; a byte length that is not a
   * multiple of 4 is a `DecodeError`).
   */
  readonly embeddings: (request: EmbeddingV2Request.Input, model: string) => Effect.Effect<EmbeddingV2Response, ApiError>
}

/** The API's limit of prompts per `batch_semantic_embed` request. */
export const MAX_BATCH_SIZE = 100

interface ResolvedBatchOptions {
  readonly batchSize: number
  readonly concurrency: number
  readonly onProgress: BatchSemanticEmbedOptions["onProgress"]
}

const invalidBatchOption = (path: string, issue: string) =>
  new ValidationError({ path, issue, subject: "BatchSemanticEmbedOptions" })

const describe = (value: unknown) => typeof value === "number" ? String(value) : typeof value

const resolveBatchOptions = (
  options: BatchSemanticEmbedOptions | undefined
): Effect.Effect<ResolvedBatchOptions, ValidationError> => {
  let batchSize: unknown, concurrency: unknown, onProgress: unknown
  try {
    batchSize = options?.batchSize ?? MAX_BATCH_SIZE
    concurrency = options?.concurrency ?? 1
    onProgress = options?.onProgress
  } catch (thrown) {
    // untyped code: a getter or Proxy that throws
    return Effect.fail(validationErrorFromThrow(thrown, options, "BatchSemanticEmbedOptions"))
  }
  if (typeof batchSize !== "number" || !Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    return Effect.fail(
      invalidBatchOption("batchSize", `expected an integer from 1 to ${MAX_BATCH_SIZE}, got ${describe(batchSize)}`)
    )
  }
  if (typeof concurrency !== "number" || !Number.isSafeInteger(concurrency) || concurrency < 1) {
    return Effect.fail(invalidBatchOption("concurrency", `expected an integer of at least 1, got ${describe(concurrency)}`))
  }
  if (onProgress !== undefined && typeof onProgress !== "function") {
    return Effect.fail(invalidBatchOption("onProgress", "expected a function"))
  }
  return Effect.succeed({ batchSize, concurrency, onProgress: onProgress as ResolvedBatchOptions["onProgress"] })
}

const encodeBatchRequest = (request: BatchSemanticEmbeddingRequest.Input) =>
  encodeInput(BatchSemanticEmbeddingRequest, request, () => "BatchSemanticEmbeddingRequest")

// The batches are slices of a body encoded (and so validated) once, up front: sent as they are.
const EncodedBody: Schema.Schema<unknown> = Schema.Unknown

/** The `Embeddings` family's tag. */
export class Embeddings extends Context.Tag("aleph-alpha-client/Embeddings")<Embeddings, EmbeddingsService>() {
  static readonly make: Effect.Effect<EmbeddingsService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    const embeddings = (model: string | undefined): Telemetry.RequestAttributes => ({ operation: "embeddings", model })

    /**
     * Checks the options, encodes the request once, and gives the batches' offsets with the
     * effect that sends one batch (and reports progress).
     */
    const prepareBatches = (
      request: BatchSemanticEmbeddingRequest.Input,
      model: string | undefined,
      options: BatchSemanticEmbedOptions | undefined
    ) =>
      Effect.gen(function*() {
        const { batchSize, concurrency, onProgress } = yield* resolveBatchOptions(options)
        const encoded = yield* encodeBatchRequest(request)
        const total = encoded.prompts.length
        const offsets: Array<number> = []
        for (let offset = 0; offset < total; offset += batchSize) offsets.push(offset)
        let completed = 0

        const send = (offset: number): Effect.Effect<SemanticEmbeddingBatch, ApiError> => {
          const size = Math.min(batchSize, total - offset)
          const body = size === total ? encoded : { ...encoded, prompts: encoded.prompts.slice(offset, offset + size) }
          return http.post(
            // without a model none is sent: the server picks its default
            { path: "batch_semantic_embed", schema: EncodedBody, request: body, ...(model === undefined ? {} : { model }) },
            BatchSemanticEmbeddingResponseFromWire
          )
            .pipe(
              Effect.flatMap((response) => {
                if (response.embeddings.length !== size) {
                  return Effect.fail(
                    new DecodeError({
                      message: `The answer to the batch of prompts ${offset}–${offset + size - 1} held ${response.embeddings.length} embeddings instead of ${size}`
                    })
                  )
                }
                completed += size
                const batch: SemanticEmbeddingBatch = {
                  offset,
                  embeddings: response.embeddings,
                  numTokensPromptTotal: response.numTokensPromptTotal,
                  modelVersion: response.modelVersion
                }
                const reported = onProgress === undefined ? undefined : onProgress({ completed, total })
                // typed as an Effect that cannot fail: a failure from untyped code is a defect,
                // as a throw is, so that the call still fails only with an ApiError
                return Effect.isEffect(reported) ? Effect.as(Effect.orDie(reported), batch) : Effect.succeed(batch)
              })
            )
        }
        return { total, offsets, concurrency, send }
      })

    const batchSemanticEmbedStream: EmbeddingsService["batchSemanticEmbedStream"] = (request, model, options) =>
      Stream.unwrap(
        Effect.map(
          prepareBatches(request, model, options),
          ({ concurrency, offsets, send }) => Stream.mapEffect(Stream.fromIterable(offsets), send, { concurrency, unordered: true })
        )
      ).pipe(
        Telemetry.streamSpan(http.options, "batchSemanticEmbedStream", embeddings(model), () => {
          let inputTokens = 0
          return {
            add: (batch: SemanticEmbeddingBatch) => {
              inputTokens += batch.numTokensPromptTotal
            },
            done: () => ({ inputTokens })
          }
        })
      )

    const usage = (response: { readonly numTokensPromptTotal: number }): Telemetry.ResponseAttributes => ({
      inputTokens: response.numTokensPromptTotal
    })

    return {
      embed: (request, model) =>
        Telemetry.call(
          http.options,
          "embed",
          embeddings(model),
          usage,
          (span) => http.post({ path: "embed", schema: EmbeddingRequest, request, model, span }, EmbeddingResponseFromWire)
        ),
      semanticEmbed: (request, model) =>
        Telemetry.call(
          http.options,
          "semanticEmbed",
          embeddings(model),
          usage,
          (span) =>
            http.post(
              { path: "semantic_embed", schema: SemanticEmbeddingRequest, request, model, span },
              SemanticEmbeddingResponseFromWire
            )
        ),
      batchSemanticEmbed: (request, model, options) =>
        // the batches straight into one array: no stream between the requests and the result
        Effect.flatMap(prepareBatches(request, model, options), ({ concurrency, offsets, send, total }) => {
          const embeddings = new Array<EmbeddingVector>(total)
          let filled = 0
          let numTokensPromptTotal = 0
          let modelVersion = ""
          let lastOffset = -1
          const receive = (batch: SemanticEmbeddingBatch) => {
            const { offset } = batch
            for (let i = 0; i < batch.embeddings.length; i++) embeddings[offset + i] = batch.embeddings[i]!
            filled += batch.embeddings.length
            numTokensPromptTotal += batch.numTokensPromptTotal
            if (offset > lastOffset) {
              lastOffset = offset
              modelVersion = batch.modelVersion
            }
          }
          return Effect.flatMap(
            Effect.forEach(offsets, (offset) => Effect.map(send(offset), receive), { concurrency, discard: true }).pipe(
              // batches that fail together (a bad model fails them all at once) fail the call once,
              // with the first one's error, as the stream does
              Effect.catchAllCause((cause) =>
                Option.match(Cause.failureOption(cause), { onNone: () => Effect.failCause(cause), onSome: Effect.fail })
              )
            ),
            () =>
              filled === total
                ? Effect.succeed(
                  // the vectors were checked when each batch was decoded
                  new BatchSemanticEmbeddingResponse({ modelVersion, embeddings, numTokensPromptTotal }, {
                    disableValidation: true
                  })
                )
                : Effect.fail(new DecodeError({ message: `Received ${filled} embeddings for ${total} prompts` }))
          )
        }).pipe(Telemetry.span(http.options, "batchSemanticEmbed", embeddings(model), usage)),
      batchSemanticEmbedStream,
      instructableEmbed: (request, model) =>
        Telemetry.call(
          http.options,
          "instructableEmbed",
          embeddings(model),
          usage,
          (span) =>
            http.post(
              { path: "instructable_embed", schema: InstructableEmbeddingRequest, request, model, span },
              InstructableEmbeddingResponseFromWire
            )
        ),
      embeddings: (request, model) =>
        Telemetry.call(
          http.options,
          "embeddings",
          embeddings(model),
          (response: EmbeddingV2Response) => ({
            inputTokens: response.usage?.promptTokens,
            responseModel: response.model
          }),
          (span) => http.post({ path: "embeddings", schema: EmbeddingV2Request, request, model, span }, EmbeddingV2Response)
        )
    }
  })

  static readonly layer: Layer.Layer<Embeddings, never, AlephAlphaHttp> = Layer.effect(Embeddings, Embeddings.make)
}
