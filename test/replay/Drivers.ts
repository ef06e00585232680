/**
 * What each recording's Python test did, redone through the public `Client`: a generic driver
 * per endpoint rebuilds the request object from the recorded body (so the client re-encodes
 * it and the bodies are compared), and per-fixture drivers redo what the body cannot say
 * (images loaded from the fixture files, a tool answer fed back into the history). Each result
 * is then checked against what the recording's test asserted (`intent`).
 */
import { expect } from "@effect/vitest"
import { Chunk, Effect, Schema, Stream } from "effect"
import * as path from "node:path"
import {
  type AlephAlphaError,
  ChatRequest,
  ChatResponse,
  type ChatStreamEvent,
  type ClientService,
  CompletionRequest,
  CompletionResponse,
  type CompletionStreamEvent,
  BatchSemanticEmbeddingRequest,
  DetokenizationRequest,
  type DetokenizationResponse,
  EvaluationRequest,
  type EvaluationResponse,
  ExplanationRequest,
  type ExplanationResponse,
  RerankRequest,
  type RerankResponse,
  SteeringConceptCreationRequest,
  type SteeringConceptCreationResponse,
  TokenizationRequest,
  type TokenizationResponse,
  TranslationRequest,
  type TranslationResponse,
  Tokens,
  type BatchSemanticEmbeddingResponse,
  EmbeddingRequest,
  type EmbeddingResponse,
  Image,
  ImageControl,
  InstructableEmbeddingRequest,
  type InstructableEmbeddingResponse,
  Message,
  Prompt,
  SemanticEmbeddingRequest,
  type SemanticEmbeddingResponse,
  Text
} from "../../src/index.js"
import type { Cassette, Interaction } from "./Cassettes.js"
import { NodeFileSystem } from "../../src/node/index.js"

export interface Context {
  readonly client: ClientService
  readonly cassette: Cassette
  /** The folder of the fixture files the recordings used (images, docx). */
  readonly fixtures: string
}

/** What a call returned: the decoded response, and the stream events for streaming calls. */
export interface Result {
  readonly interaction: Interaction
  readonly response: unknown
  readonly events?: ReadonlyArray<unknown>
}

const object = (body: unknown): Record<string, unknown> => ({ ...(body as Record<string, unknown>) })

/** The body without what the client injects itself (`model`, `stream`). */
const requestPart = (body: unknown): Record<string, unknown> => {
  const { model: _model, stream: _stream, ...rest } = object(body)
  return rest
}

/**
 * Rebuilds a request object from a recorded wire body; a body the schema rejects fails the test.
 * Top-level nulls are fields the Python test left unset (Python sends them as null).
 */
const fromWire = <A, I>(schema: Schema.Schema<A, I>, body: unknown) =>
  Effect.orDie(
    Schema.decodeUnknown(schema)(Object.fromEntries(Object.entries(object(body)).filter(([, value]) => value !== null)))
  )

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** Redoes one recorded call from its body. */
export const replayInteraction = (
  client: ClientService,
  interaction: Interaction
): Effect.Effect<Result, AlephAlphaError> =>
  Effect.gen(function*() {
    const { body, endpoint, method } = interaction.request
    const wire = object(body)
    const model = wire.model as string
    const streaming = wire.stream === true
    delete wire.model
    delete wire.stream
    switch (`${method} ${endpoint}`) {
      case "GET /models_available":
        return { interaction, response: yield* client.models() }
      case "POST /complete": {
        const request = yield* fromWire(CompletionRequest, wire)
        if (!streaming) return { interaction, response: yield* client.complete(request, model) }
        const events: ReadonlyArray<CompletionStreamEvent> = yield* collect(client.completeWithStreaming(request, model))
        return { interaction, events, response: yield* CompletionResponse.fromStream(Stream.fromIterable(events)) }
      }
      case "POST /chat/completions": {
        if ("maximum_tokens" in wire) {
          wire.max_tokens = wire.maximum_tokens
          delete wire.maximum_tokens
        }
        const request = yield* fromWire(ChatRequest, wire)
        if (!streaming) return { interaction, response: yield* client.chat(request, model) }
        const events: ReadonlyArray<ChatStreamEvent> = yield* collect(client.chatWithStreaming(request, model))
        return { interaction, events, response: yield* ChatResponse.fromStream(Stream.fromIterable(events)) }
      }
      case "POST /embed":
        return { interaction, response: yield* client.embed(yield* fromWire(EmbeddingRequest, wire), model) }
      case "POST /semantic_embed":
        return { interaction, response: yield* client.semanticEmbed(yield* fromWire(SemanticEmbeddingRequest, wire), model) }
      case "POST /instructable_embed":
        return {
          interaction,
          response: yield* client.instructableEmbed(yield* fromWire(InstructableEmbeddingRequest, wire), model)
        }
      case "POST /explain":
        return { interaction, response: yield* client.explain(yield* fromWire(ExplanationRequest, wire), model) }
      case "POST /evaluate":
        return { interaction, response: yield* client.evaluate(yield* fromWire(EvaluationRequest, wire), model) }
      case "POST /tokenize":
        return { interaction, response: yield* client.tokenize(yield* fromWire(TokenizationRequest, wire), model) }
      case "POST /detokenize":
        return { interaction, response: yield* client.detokenize(yield* fromWire(DetokenizationRequest, wire), model) }
      case "POST /rerank":
        return { interaction, response: yield* client.rerank(yield* fromWire(RerankRequest, wire), model) }
      case "POST /translate":
        // the model is a field of the translation request itself
        return {
          interaction,
          response: yield* client.translate(yield* fromWire(TranslationRequest, { ...wire, model }))
        }
      case "POST /steering_concepts":
        return {
          interaction,
          response: yield* client.createSteeringConcept(yield* fromWire(SteeringConceptCreationRequest, wire))
        }
    }
    return yield* Effect.dieMessage(`no replay driver for ${method} ${endpoint}`)
  })

/** Redoes every recorded call of a cassette, in recorded order. */
const eachInteraction = ({ cassette, client }: Context) =>
  Effect.forEach(cassette.interactions, (interaction) => replayInteraction(client, interaction))

type Driver = (context: Context) => Effect.Effect<ReadonlyArray<Result>, AlephAlphaError>

const fixtureImage = (context: Context, name: string) => path.join(context.fixtures, name)

const prompts = (interaction: Interaction) => (interaction.request.body as { prompts: Array<unknown> }).prompts

/**
 * `batch_semantic_embed` is one call over all prompts, split by the client: the prompts are
 * the recorded batches joined in order, and the call must send exactly the recorded batches.
 */
const batchSemanticEmbed: Driver = (context) =>
  Effect.gen(function*() {
    const interactions = context.cassette.interactions
    const [first] = interactions
    const { model: _model, prompts: _prompts, ...options } = object(first!.request.body)
    const call = (part: ReadonlyArray<Interaction>, model: string | undefined, batchSize: number, concurrency: number) =>
      Effect.gen(function*() {
        const request = yield* fromWire(BatchSemanticEmbeddingRequest, { ...options, prompts: part.flatMap(prompts) })
        const response = yield* context.client.batchSemanticEmbed(request, model, { batchSize, concurrency })
        return { interaction: part[0]!, response }
      })
    const withModel = interactions.filter((interaction) => "model" in object(interaction.request.body))
    const sequential = interactions.filter((interaction) => !("model" in object(interaction.request.body)))
    const model = (first!.request.body as { model?: string }).model
    if (sequential.length === 0) return [yield* call(withModel, model, 100, 1)]
    // the stale async recordings: a concurrent run (batch size from the fixture name, up to 10
    // requests at once, recorded in completion order), then the sequential run of the same
    // prompts in order without a model
    const batchSize = Number(/\[(\d+)-\d+\]$/.exec(context.cassette.name)![1])
    const ordered = { ...sequential[0]!, request: { ...sequential[0]!.request, body: { prompts: sequential.flatMap(prompts) } } }
    const concurrent = yield* call([ordered], (withModel[0]!.request.body as { model: string }).model, batchSize, 10)
    return [concurrent, yield* call(sequential, undefined, 100, 1)]
  })

/** Drivers for the recordings whose Python test did more than its bodies show. */
const special: Readonly<Record<string, Driver>> = {
  // the image is read from the fixture file and cropped, as the Python test did
  "test_prompt/test_image_controls_with_cats_and_dogs": (context) =>
    Effect.gen(function*() {
      const file = fixtureImage(context, "dog-and-cat-cover.jpg")
      const plain = yield* Image.fromFileWithCropping(file, 300, 0, 600)
      const controlled = yield* Image.fromFileWithCropping(file, 300, 0, 600, [
        new ImageControl({ left: 0.5, top: 0, width: 0.25, height: 1, factor: 0 })
      ])
      const model = (context.cassette.interactions[0]!.request.body as { model: string }).model
      return yield* Effect.forEach([plain, controlled], (image, i) =>
        Effect.map(
          context.client.complete(
            new CompletionRequest({ prompt: new Prompt([image, Text.fromText("A picture of ")]), maximumTokens: 16 }),
            model
          ),
          (response) => ({ interaction: context.cassette.interactions[i]!, response })
        ))
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile), Effect.catchTag("MediaError", Effect.die)),

  // the image is read from the fixture file, as the Python test did
  "test_explanation/test_explanation_auto_granularity": (context) =>
    Effect.gen(function*() {
      const [interaction] = context.cassette.interactions
      const image = yield* Image.fromFile(fixtureImage(context, "dog-and-cat-cover.jpg"))
      const request = new ExplanationRequest({
        prompt: new Prompt([
          image,
          Text.fromText("I am a programmer and French. My favourite food is"),
          Tokens.fromTokenIds([4014, 36316, 5681, 387])
        ]),
        target: " pizza with cheese"
      })
      const response = yield* context.client.explain(request, "luminous-base")
      // and the Python helper that turns image scores into pixels works on the answer
      const inPixels = yield* response.withImagePromptItemsInPixels(request.prompt)
      return [{ interaction: interaction!, response }, { interaction: interaction!, response: inPixels }]
    }).pipe(Effect.provide(NodeFileSystem.layerReadFile), Effect.catchTag("MediaError", Effect.die)),

  // the concept's id comes from the creation answer and goes into the second chat
  "test_chat/test_steering_chat": (context) =>
    Effect.gen(function*() {
      const [create, plain, steered] = context.cassette.interactions
      const created = yield* replayInteraction(context.client, create!)
      const { id } = created.response as SteeringConceptCreationResponse
      const unsteered = yield* replayInteraction(context.client, plain!)
      const request = yield* fromWire(ChatRequest, requestPart(plain!.request.body))
      const response = yield* context.client.chat(
        new ChatRequest({ ...request, steeringConcepts: [id] }),
        (plain!.request.body as { model: string }).model
      )
      return [created, unsteered, { interaction: steered!, response }]
    }),

  // the second turn is built from the first answer: its message, with the tool calls, goes back
  "test_chat/test_can_chat_with_tools": (context) =>
    Effect.gen(function*() {
      const [first, second] = context.cassette.interactions
      const turn1 = yield* replayInteraction(context.client, first!)
      const answer = (turn1.response as ChatResponse).message
      const recordedSecond = object(second!.request.body)
      const request = yield* fromWire(ChatRequest, requestPart(recordedSecond))
      const toolMessage = request.messages.find((message) => message.role === "tool")!
      const firstRequest = yield* fromWire(ChatRequest, requestPart(first!.request.body))
      const history = [
        firstRequest.messages[0]!,
        answer,
        new Message({ role: "tool", content: toolMessage.content, toolCallId: answer.toolCalls![0]!.id }),
        firstRequest.messages[1]!
      ]
      const response = yield* context.client.chat(
        new ChatRequest({ ...firstRequest, messages: history }),
        recordedSecond.model as string
      )
      return [turn1, { interaction: second!, response }]
    })
}

export const driverFor = (cassette: Cassette): Driver =>
  special[cassette.name] ??
    (cassette.interactions[0]?.request.endpoint === "/batch_semantic_embed" ? batchSemanticEmbed : eachInteraction)

/** Every recorded vector of each prompt, to check that batched answers come back in prompt order. */
const recordedVectors = (cassette: Cassette) => {
  const byPrompt = new Map<string, Array<unknown>>()
  for (const interaction of cassette.interactions) {
    const vectors = (interaction.response.body_json as { embeddings: Array<unknown> }).embeddings
    prompts(interaction).forEach((prompt, i) => {
      const key = JSON.stringify(prompt)
      byPrompt.set(key, [...(byPrompt.get(key) ?? []), vectors[i]])
    })
  }
  return byPrompt
}

const batchCheck = (cassette: Cassette, count: number) => (results: ReadonlyArray<Result>) => {
  const byPrompt = recordedVectors(cassette)
  const order = cassette.interactions.filter((i) => !("model" in object(i.request.body)))
  const promptList = (order.length > 0 ? order : cassette.interactions).flatMap(prompts)
  for (const result of results) {
    const response = result.response as BatchSemanticEmbeddingResponse
    expect(response.embeddings).toHaveLength(count)
    response.embeddings.forEach((vector, i) => {
      expect(byPrompt.get(JSON.stringify(promptList[i]))).toContainEqual(vector)
    })
  }
}

const embedCheck = ([result]: ReadonlyArray<Result>) => {
  const { embeddings, tokens } = result!.response as EmbeddingResponse
  expect(Object.keys(embeddings).sort()).toEqual(["layer_0", "layer_40"])
  expect(Object.keys(embeddings.layer_0!).sort()).toEqual(["max", "mean"])
  expect(tokens).toBeNull()
}

const vectorCheck = (size: number) => ([result]: ReadonlyArray<Result>) => {
  const response = result!.response as SemanticEmbeddingResponse | InstructableEmbeddingResponse
  expect(response.embedding).toHaveLength(size)
  expect(response.numTokensPromptTotal).toBeGreaterThanOrEqual(1)
}

/** What each recording's test asserted, checked on our decoded results. */
export const checks: Readonly<Record<string, (results: ReadonlyArray<Result>, cassette: Cassette) => void>> = {
  ...Object.fromEntries(
    ["1", "100", "200"].map((n) => [`test_embed/test_batch_embed_semantic[${n}]`, (results: ReadonlyArray<Result>, cassette: Cassette) =>
      batchCheck(cassette, Number(n))(results)])
  ),
  ...Object.fromEntries(
    ["1-1", "1-100", "1-101", "100-1", "100-100", "100-101", "32-1", "32-100"].map((name) => [
      `test_embed/test_batch_embed_semantic_with_async_client[${name}]`,
      (results: ReadonlyArray<Result>, cassette: Cassette) => batchCheck(cassette, Number(name.split("-")[1]))(results)
    ])
  ),
  "test_embed/test_embed": embedCheck,
  "test_detokenize/test_can_detokenization_with_async_client": ([result]) => {
    expect((result!.response as DetokenizationResponse).result).not.toBe("")
  },
  "test_detokenize/test_detokenize": ([result]) => {
    expect((result!.response as DetokenizationResponse).result).toBe("tiss")
  },
  "test_tokenize/test_can_tokenize_with_async_client": ([result]) => {
    const response = result!.response as TokenizationResponse
    expect(response.tokens).toHaveLength(1)
    expect(response.tokenIds).toHaveLength(1)
  },
  "test_tokenize/test_tokenize": ([result]) => {
    const response = result!.response as TokenizationResponse
    expect(response.tokens).toEqual(["ĠHello"])
    expect(response.tokenIds).toEqual([49222])
  },
  "test_evaluate/test_can_evaluate_with_async_client": ([result]) => {
    const response = result!.response as EvaluationResponse
    expect(response.result.logProbability).toBeTypeOf("number")
    expect(response.result.correctGreedy).toBeTypeOf("boolean")
    expect(response.numTokensPromptTotal).toBeGreaterThanOrEqual(1)
  },
  "test_evaluate/test_evaluate": ([result]) => {
    const response = result!.response as EvaluationResponse
    expect(response.modelVersion).toBeTruthy()
    expect(response.result.logPerplexityPerCharacter).toBeTypeOf("number")
    expect(response.numTokensPromptTotal).toBeGreaterThanOrEqual(1)
  },
  "test_explanation/test_can_explain_with_async_client": ([result]) => {
    const { explanations } = result!.response as ExplanationResponse
    expect(explanations).toHaveLength(3)
    for (const explanation of explanations) {
      expect(explanation.items.map((item) => item.type)).toEqual(["text", "token_ids", "target"])
    }
    expect((explanations[0]!.items[0] as { scores: ReadonlyArray<unknown> }).scores).toHaveLength(4)
  },
  "test_explanation/test_explanation_auto_granularity": ([result, inPixels]) => {
    const { explanations } = result!.response as ExplanationResponse
    expect(explanations).toHaveLength(1)
    expect(explanations[0]!.items.map((item) => item.type)).toEqual(["image", "text", "token_ids", "target"])
    const pixels = (inPixels!.response as ExplanationResponse).explanations[0]!.items[0] as {
      scores: ReadonlyArray<{ left: number; width: number }>
    }
    // the fixture image is 1200 × 630: the first tile starts at the left edge, in whole pixels
    expect(pixels.scores[0]!.left).toBe(0)
    expect(Number.isInteger(pixels.scores[0]!.width)).toBe(true)
    expect(pixels.scores[0]!.width).toBeGreaterThan(1)
  },
  "test_explanation/test_explanation_with_text_only": ([result]) => {
    const { explanations } = result!.response as ExplanationResponse
    expect(explanations).toHaveLength(3)
    for (const explanation of explanations) {
      expect(explanation.items.map((item) => item.type)).toEqual(["text", "target"])
      for (const item of explanation.items) {
        for (const score of (item as { scores: ReadonlyArray<{ score: number }> }).scores) {
          expect(score.score).toBeGreaterThanOrEqual(0)
        }
      }
    }
  },
  ...Object.fromEntries(["async_client", "sync_client"].flatMap((variant) => [
    [`test_rerank/test_can_rerank_documents[${variant}]`, ([result]: ReadonlyArray<Result>) => {
      const response = result!.response as RerankResponse
      expect(response.results).toHaveLength(3)
      expect(response.results[0]!.index).toBe(1)
      expect(response.usage.totalTokens).toBeGreaterThan(0)
    }],
    [`test_rerank/test_rerank_returns_results_ordered_by_relevance[${variant}]`, ([result]: ReadonlyArray<Result>) => {
      const scores = (result!.response as RerankResponse).results.map((r) => r.relevanceScore)
      expect(scores).toEqual([...scores].sort((a, b) => b - a))
    }],
    [`test_translate/test_can_translate_single_request[${variant}]`, ([result]: ReadonlyArray<Result>) => {
      const response = result!.response as TranslationResponse
      expect(response.translation).not.toBe("")
      expect(response.score).toBeGreaterThanOrEqual(0)
      expect(response.score).toBeLessThanOrEqual(1)
      expect(response.numTokensPromptTotal).toBeGreaterThan(0)
      expect(response.numTokensGenerated).toBe(0)
    }]
  ])),
  "test_chat/test_steering_chat": ([created, plain, steered]) => {
    expect((created!.response as SteeringConceptCreationResponse).id).toMatch(/^[0-9a-f]{64}$/)
    expect((plain!.response as ChatResponse).message.content).not.toBe((steered!.response as ChatResponse).message.content)
  },
  "test_embed/test_embedding_of_one_token_aggregates_identically": (results) => {
    embedCheck(results)
    const layer0 = (results[0]!.response as EmbeddingResponse).embeddings.layer_0!
    expect(layer0.mean).toEqual(layer0.max)
  },
  "test_embed/test_can_semantic_embed_with_async_client": vectorCheck(128),
  "test_embed/test_embed_semantic": vectorCheck(128),
  "test_embed/test_can_instructable_embed_with_async_client": vectorCheck(4608),
  "test_embed/test_embed_instructable": vectorCheck(4608),
  "test_clients/test_available_models_async_client": ([result]) => {
    const models = result!.response as ReadonlyArray<{ name: string }>
    expect(models.map((model) => model.name)).toContain("luminous-base")
  },
  "test_complete/test_can_complete_with_async_client": ([result]) => {
    const response = result!.response as CompletionResponse
    expect(response.completions).toHaveLength(1)
    expect(response.modelVersion).toBeTruthy()
  },
  "test_complete/test_can_use_streaming_support_with_async_client": ([result]) => {
    expect((result!.events as ReadonlyArray<{ _tag: string }>).map((event) => event._tag)).toEqual([
      "StreamChunk",
      "StreamSummary",
      "CompletionSummary"
    ])
  },
  "test_complete/test_complete": ([result]) => {
    const [completion] = (result!.response as CompletionResponse).completions
    expect(completion!.logProbs).toHaveLength(7)
    expect(completion!.rawCompletion).toBeTypeOf("string")
  },
  "test_complete/test_complete_maximum_tokens_none": ([result]) => {
    expect((result!.response as CompletionResponse).completions).toHaveLength(1)
  },
  "test_complete/test_complete_with_token_ids": ([result]) => {
    expect((result!.response as CompletionResponse).completions).toHaveLength(1)
  },
  "test_prompt/test_image_controls_with_cats_and_dogs": ([plain, controlled]) => {
    const text = (result: Result) => (result.response as CompletionResponse).completions[0]!.completion ?? ""
    expect(text(plain!)).toMatch(/dog/)
    expect(text(plain!)).toMatch(/cat/)
    expect(text(controlled!)).toMatch(/dog/)
    expect(text(controlled!)).not.toMatch(/cat/)
    expect((plain!.response as CompletionResponse).optimizedPrompt?.items[0]).toBeInstanceOf(Image)
  },
  "test_complete/test_num_tokens_prompt_total_with_best_of": ([result]) => {
    expect((result!.response as CompletionResponse).numTokensPromptTotal).toBe(4)
  },
  "test_chat/test_can_chat_with_async_client": ([result]) => {
    const message = (result!.response as ChatResponse).message
    expect(message.role).toBe("assistant")
    expect(message.content).not.toBe("")
  },
  "test_chat/test_can_chat_with_chat_model": ([result]) => {
    const response = result!.response as ChatResponse
    expect(response.message.role).toBe("assistant")
    expect(["stop", "length", "content_filter", "tool_calls"]).toContain(response.finishReason)
  },
  "test_chat/test_can_chat_with_images[async_client]": ([result]) => {
    expect((result!.response as ChatResponse).message.content).toBe("el el")
  },
  "test_chat/test_can_chat_with_images[sync_client]": ([result]) => {
    expect((result!.response as ChatResponse).message.content).toBe("el el")
  },
  "test_chat/test_can_chat_with_streaming_support": ([result]) => {
    const events = result!.events as ReadonlyArray<ChatStreamEvent>
    expect(events[0]).toMatchObject({ _tag: "ChatStreamChunk", role: "assistant" })
    expect(events.slice(1, -1).every((event) => event._tag === "ChatStreamChunk")).toBe(true)
    expect(events[events.length - 1]).toMatchObject({ _tag: "ChatFinish", finishReason: "stop" })
  },
  "test_chat/test_can_chat_with_tools": ([first, second]) => {
    const turn1 = first!.response as ChatResponse
    expect(turn1.finishReason).toBe("tool_calls")
    expect(turn1.choices[0]!.toolCalls.map((call) => call.function.name)).toEqual(["get_weather"])
    expect((second!.response as ChatResponse).message.content).toMatch(/cloudy/i)
  },
  "test_chat/test_response_format_json_schema": ([result]) => {
    const content = (result!.response as ChatResponse).message.content as string
    const json = JSON.parse(content.replace(/^[\s\S]*<\/think>/, "")) as Record<string, unknown>
    expect(Object.keys(json).sort()).toEqual(["color", "nemo", "size_cm", "species"])
  }
}
