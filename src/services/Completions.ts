/**
 * The `Completions` family: `complete` and `completeWithStreaming`.
 */
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as ParseResult from "effect/ParseResult"
import * as Stream from "effect/Stream"
import { type ApiError, DecodeError } from "../errors/AlephAlphaError.js"
import {
  CompletionRequest,
  CompletionResponse,
  type CompletionStreamEvent,
  decodeCompletionEvent,
  plainStreamChunkFromData,
  StreamChunk
} from "../schema/Completion.js"
import { formatParseError } from "../schema/internal/parseErrorText.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import * as Telemetry from "./Telemetry.js"
import { mapChunksOrFail } from "./internal/chunks.js"

/** The methods of the `Completions` family. */
export interface CompletionsService {
  /** `POST complete`: completes the prompt with `model`. */
  readonly complete: (request: CompletionRequest.Input, model: string) => Effect.Effect<CompletionResponse, ApiError>
  /**
   * The same, streamed: `StreamChunk`s of text per completion index, a `StreamSummary` per
   * completion and a final `CompletionSummary`. Interrupting it closes the connection.
   */
  readonly completeWithStreaming: (
    request: CompletionRequest.Input,
    model: string
  ) => Stream.Stream<CompletionStreamEvent, ApiError>
}

const decodeEventError = (error: ParseResult.ParseError) =>
  new DecodeError({ message: `A completion stream event did not match the expected shape: ${formatParseError(error)}` })

const promptOf = (fields: Partial<CompletionRequest.Input>) => fields.prompt

/** The `Completions` family's tag. */
export class Completions extends Context.Tag("aleph-alpha-client/Completions")<Completions, CompletionsService>() {
  static readonly make: Effect.Effect<CompletionsService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    const attributes = (request: CompletionRequest.Input, model: string) =>
      Telemetry.generationAttributes("text_completion", model, request, promptOf)
    return {
      complete: (request, model) =>
        Telemetry.call(
          http.options,
          "complete",
          attributes(request, model),
          (response: CompletionResponse) => ({
            finishReasons: response.completions.map((completion) => completion.finishReason ?? "unknown"),
            inputTokens: response.numTokensPromptTotal,
            outputTokens: response.numTokensGenerated,
            content: () => response.completions.map((completion) => completion.completion)
          }),
          (span) => http.post({ path: "complete", schema: CompletionRequest, request, model, span }, CompletionResponse)
        ),
      completeWithStreaming: (request, model) =>
        // plain text chunks come read off the event's text already, the rest as JSON values
        http.postStream({ path: "complete", schema: CompletionRequest, request, model }, plainStreamChunkFromData).pipe(
          // the events before a bad one are delivered, however the body was chunked
          mapChunksOrFail((values: Chunk.Chunk<unknown>, events: Array<CompletionStreamEvent>) => {
            for (const value of values) {
              if (value instanceof StreamChunk) {
                events.push(value)
                continue
              }
              const event = decodeCompletionEvent(value)
              if (Either.isLeft(event)) return http.redact(decodeEventError(event.left))
              if (event.right !== undefined) events.push(event.right)
            }
            return undefined
          }),
          Telemetry.streamSpan(http.options, "completeWithStreaming", attributes(request, model), () => {
            const finishReasons: Array<string> = []
            let usage: { inputTokens?: number; outputTokens?: number } = {}
            const text = new Map<number, string>()
            return {
              add: (event) => {
                if (event._tag === "StreamSummary") finishReasons.push(event.finishReason)
                else if (event._tag === "CompletionSummary") {
                  usage = { inputTokens: event.numTokensPromptTotal, outputTokens: event.numTokensGenerated }
                } else if (http.options.recordContent) text.set(event.index, (text.get(event.index) ?? "") + event.completion)
              },
              done: () => ({ finishReasons, ...usage, content: () => [...text.values()] })
            }
          })
        )
    }
  })

  static readonly layer: Layer.Layer<Completions, never, AlephAlphaHttp> = Layer.effect(Completions, Completions.make)
}
