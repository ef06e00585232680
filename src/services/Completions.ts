/**
 * The `Completions` family: `complete` and `completeWithStreaming`.
 */
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ParseResult from "effect/ParseResult"
import * as Stream from "effect/Stream"
import { type AlephAlphaError, DecodeError } from "../errors/AlephAlphaError.js"
import {
  CompletionRequest,
  CompletionResponse,
  type CompletionStreamEvent,
  decodeCompletionEvent
} from "../schema/Completion.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import { mapChunksOrFail } from "./internal/chunks.js"

/** The methods of the `Completions` family. */
export interface CompletionsService {
  /** `POST complete`: completes the prompt with `model`. */
  readonly complete: (request: CompletionRequest, model: string) => Effect.Effect<CompletionResponse, AlephAlphaError>
  /**
   * The same, streamed: `StreamChunk`s of text per completion index, a `StreamSummary` per
   * completion and a final `CompletionSummary`. Interrupting it closes the connection.
   */
  readonly completeWithStreaming: (
    request: CompletionRequest,
    model: string
  ) => Stream.Stream<CompletionStreamEvent, AlephAlphaError>
}

const decodeEventError = (error: ParseResult.ParseError) =>
  new DecodeError({
    message: `A completion stream event did not match the expected shape: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
  })

/** The `Completions` family's tag. */
export class Completions extends Context.Tag("aleph-alpha-client/Completions")<Completions, CompletionsService>() {
  static readonly make: Effect.Effect<CompletionsService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    return {
      complete: (request, model) =>
        http.post({ path: "complete", schema: CompletionRequest, request, model }, CompletionResponse),
      completeWithStreaming: (request, model) =>
        http.postStream({ path: "complete", schema: CompletionRequest, request, model }).pipe(
          // the events before a bad one are delivered, however the body was chunked
          mapChunksOrFail((values: Chunk.Chunk<unknown>, events: Array<CompletionStreamEvent>) => {
            for (const value of values) {
              const event = decodeCompletionEvent(value)
              if (Either.isLeft(event)) return decodeEventError(event.left)
              if (event.right !== undefined) events.push(event.right)
            }
            return undefined
          })
        )
    }
  })

  static readonly layer: Layer.Layer<Completions, never, AlephAlphaHttp> = Layer.effect(Completions, Completions.make)
}
