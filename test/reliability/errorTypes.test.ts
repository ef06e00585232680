/**
 * Each method's error type lists exactly what it can fail with (issue 17, point 1): nothing
 * missing, nothing extra. These are compile-time assertions, checked by `npm run typecheck`
 * (`toEqualTypeOf` fails on a union that is wider or narrower than the one expected); at run
 * time the tests only list the methods they cover.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ConfigError from "effect/ConfigError"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type * as Stream from "effect/Stream"
import { describe, expect, expectTypeOf, it } from "vitest"
import * as AlephAlphaAi from "../../src/ai/index.js"
import type * as Index from "../../src/index.js"
import type {
  AlephAlphaError,
  AlephAlphaHttp,
  AlephAlphaHttpService,
  ApiError,
  ChatCompletionsService,
  ChatRequest,
  ChatResponse,
  ChatStreamEvent,
  ChatTool,
  Client,
  ClientService,
  CompletionResponse,
  CompletionsService,
  CompletionStreamEvent,
  DecodeError,
  EmbeddingsService,
  EvaluationsService,
  Explanation,
  ExplanationResponse,
  ExplanationsService,
  HttpStatusError,
  Image,
  ImagePromptItemExplanation,
  JSONSchema,
  loadBase64FromFile,
  MaxRoundsExceededError,
  loadBase64FromUrl,
  MediaError,
  ModelsService,
  Prompt,
  RerankingService,
  SteeringService,
  StructuredChatError,
  StructuredOutputError,
  TokenizationService,
  ToolLoopError,
  ToolResultError,
  TransportError,
  TranslationsService,
  ValidationError,
  VersionCheckError,
  VersionMismatchError,
  WithValidationError
} from "../../src/index.js"
import type { Document } from "../../src/document/index.js"
import type { UndiciHttpClient } from "../../src/node/index.js"
import type { PromptTemplate } from "../../src/template/index.js"
import type { tokenizer, tokenizerFromJson } from "../../src/tokenizer/index.js"

/** The error channel of what a function returns: an `Effect` or a `Stream`. */
type ErrorOf<F> = F extends (...args: any) => infer R
  ? R extends Effect.Effect<any, infer E, any> ? E : R extends Stream.Stream<any, infer E, any> ? E : never
  : never

type ErrorsOf<S> = { readonly [K in keyof S]: ErrorOf<S[K]> }

// The tool loop is generic in its handlers, whose failures join its error type: checked with
// one tool and a handler failing with `HandlerFailure` (never called; only their types are read).
interface HandlerFailure {
  readonly _tag: "HandlerFailure"
}
declare const someClient: ClientService
declare const someRequest: ChatRequest
declare const someTool: ChatTool<"t", { readonly a: string }, { readonly a: string }, number, number>
declare const someHandlers: { readonly t: (params: { readonly a: string }) => Effect.Effect<number, HandlerFailure> }
const toolLoop = () => someClient.chatWithTools(someRequest, { tools: [someTool], handlers: someHandlers })
const toolLoopStream = () => someClient.chatWithToolsStreaming(someRequest, { tools: [someTool], handlers: someHandlers })

/** `ClientService` with the tool loop's methods instantiated with those handlers. */
interface Instantiated extends Omit<ClientService, "chatWithTools" | "chatWithToolsStreaming"> {
  readonly chatWithTools: typeof toolLoop
  readonly chatWithToolsStreaming: typeof toolLoopStream
}

/** The union each `Client` method declares, by method. */
interface Expected {
  readonly complete: ApiError
  readonly completeWithStreaming: ApiError
  readonly chat: ApiError
  readonly chatWithStreaming: ApiError
  readonly chatStructured: StructuredChatError
  readonly chatWithTools: ToolLoopError | HandlerFailure
  readonly chatWithToolsStreaming: ToolLoopError | HandlerFailure
  readonly models: ApiError
  readonly getVersion: ApiError
  readonly validateVersion: VersionCheckError
  readonly embed: ApiError
  readonly semanticEmbed: ApiError
  readonly batchSemanticEmbed: ApiError
  readonly batchSemanticEmbedStream: ApiError
  readonly instructableEmbed: ApiError
  readonly embeddings: ApiError
  readonly explain: ApiError
  readonly evaluate: ApiError
  readonly tokenize: ApiError
  readonly detokenize: ApiError
  readonly tokenizerJson: ApiError
  readonly translate: ApiError
  readonly rerank: ApiError
  readonly createSteeringConcept: ApiError
}

/** The methods this file covers, for the run-time listing. */
const methods: ReadonlyArray<keyof ClientService> = [
  "complete",
  "completeWithStreaming",
  "chat",
  "chatWithStreaming",
  "chatStructured",
  "chatWithTools",
  "chatWithToolsStreaming",
  "models",
  "getVersion",
  "validateVersion",
  "embed",
  "semanticEmbed",
  "batchSemanticEmbed",
  "batchSemanticEmbedStream",
  "instructableEmbed",
  "embeddings",
  "explain",
  "evaluate",
  "tokenize",
  "detokenize",
  "tokenizerJson",
  "translate",
  "rerank",
  "createSteeringConcept"
] satisfies ReadonlyArray<keyof Expected>

describe("the named unions", () => {
  it("are exactly the classes their documentation lists", () => {
    expectTypeOf<ApiError>().toEqualTypeOf<ValidationError | HttpStatusError | TransportError | DecodeError>()
    expectTypeOf<StructuredChatError>().toEqualTypeOf<ApiError | StructuredOutputError>()
    expectTypeOf<VersionCheckError>().toEqualTypeOf<
      ValidationError | HttpStatusError | TransportError | DecodeError | VersionMismatchError
    >()
    expectTypeOf<ToolLoopError>().toEqualTypeOf<ApiError | MaxRoundsExceededError | ToolResultError>()
    expectTypeOf<AlephAlphaError>().toEqualTypeOf<
      StructuredChatError | VersionMismatchError | MediaError | MaxRoundsExceededError | ToolResultError
    >()
  })

  it("tell a wider or a narrower union apart, so every check below can fail", () => {
    // @ts-expect-error: AlephAlphaError has classes complete cannot fail with
    expectTypeOf<ErrorOf<ClientService["complete"]>>().toEqualTypeOf<AlephAlphaError>()
    // @ts-expect-error: complete can fail with a DecodeError
    expectTypeOf<ErrorOf<ClientService["complete"]>>().toEqualTypeOf<Exclude<ApiError, DecodeError>>()
    // @ts-expect-error: a method missing from the table
    expectTypeOf<ErrorsOf<Instantiated>>().toEqualTypeOf<Omit<Expected, "rerank">>()
    // @ts-expect-error: the tool loop without the handler's failure
    expectTypeOf<ErrorOf<typeof toolLoop>>().toEqualTypeOf<ToolLoopError>()
    expect(methods).toHaveLength(24)
  })
})

describe("Client", () => {
  it("has a declared union for every method, and each method fails with exactly it", () => {
    expectTypeOf<ErrorsOf<Instantiated>>().toEqualTypeOf<Expected>()
    expectTypeOf<keyof Instantiated>().toEqualTypeOf<keyof ClientService>()
    // what the handlers need is what the loop needs
    expectTypeOf<Effect.Effect.Context<ReturnType<typeof toolLoop>>>().toEqualTypeOf<never>()
    expect(new Set(methods).size).toBe(methods.length)
  })

  it("is built and provided with a ValidationError for bad options only", () => {
    expectTypeOf<ReturnType<typeof Client.layer>>().toEqualTypeOf<
      Layer.Layer<Client | Index.Families, ValidationError, HttpClient.HttpClient>
    >()
    expectTypeOf<Layer.Layer.Error<ReturnType<typeof Client.layerConfig>>>().toEqualTypeOf<
      ValidationError | ConfigError.ConfigError
    >()
    expectTypeOf<Effect.Effect.Error<typeof Client.make>>().toEqualTypeOf<never>()
  })
})

describe("the family services", () => {
  it("Completions: complete and completeWithStreaming fail with ApiError", () => {
    expectTypeOf<ErrorOf<CompletionsService["complete"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<CompletionsService["completeWithStreaming"]>>().toEqualTypeOf<ApiError>()
  })

  it("ChatCompletions: chat and its stream fail with ApiError, chatStructured with StructuredChatError", () => {
    expectTypeOf<ErrorOf<ChatCompletionsService["chat"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<ChatCompletionsService["chatWithStreaming"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<ChatCompletionsService["chatStructured"]>>().toEqualTypeOf<StructuredChatError>()
  })

  it("ChatCompletions: the tool loop fails with ToolLoopError and its handlers' own errors", () => {
    type FamilyLoop = ChatCompletionsService["chatWithTools"]
    type FamilyStream = ChatCompletionsService["chatWithToolsStreaming"]
    expectTypeOf<FamilyLoop>().toEqualTypeOf<ClientService["chatWithTools"]>()
    expectTypeOf<FamilyStream>().toEqualTypeOf<ClientService["chatWithToolsStreaming"]>()
    expectTypeOf<ErrorOf<typeof toolLoopStream>>().toEqualTypeOf<ToolLoopError | HandlerFailure>()
  })

  // the version is read as text, but an answer past maxResponseSize is a DecodeError
  it("Models: models and getVersion fail with ApiError, validateVersion with VersionCheckError", () => {
    expectTypeOf<ErrorOf<ModelsService["models"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<ModelsService["getVersion"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<ModelsService["validateVersion"]>>().toEqualTypeOf<VersionCheckError>()
  })

  it("Embeddings: every method, the batches and their stream included, fails with ApiError", () => {
    expectTypeOf<ErrorOf<EmbeddingsService["embed"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<EmbeddingsService["semanticEmbed"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<EmbeddingsService["batchSemanticEmbed"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<EmbeddingsService["batchSemanticEmbedStream"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<EmbeddingsService["instructableEmbed"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<EmbeddingsService["embeddings"]>>().toEqualTypeOf<ApiError>()
  })

  it("Explanations, Evaluations, Translations, Reranking, Steering fail with ApiError", () => {
    expectTypeOf<ErrorOf<ExplanationsService["explain"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<EvaluationsService["evaluate"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<TranslationsService["translate"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<RerankingService["rerank"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<SteeringService["createSteeringConcept"]>>().toEqualTypeOf<ApiError>()
  })

  it("Tokenization: tokenize, detokenize, tokenizerJson and tokenizer fail with ApiError", () => {
    expectTypeOf<ErrorOf<TokenizationService["tokenize"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<TokenizationService["detokenize"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<TokenizationService["tokenizerJson"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<typeof tokenizer>>().toEqualTypeOf<ApiError>()
  })
})

describe("the transport", () => {
  it("getJson, getText, post and postStream fail with ApiError", () => {
    expectTypeOf<ErrorOf<AlephAlphaHttpService["getJson"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<AlephAlphaHttpService["getText"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<AlephAlphaHttpService["post"]>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<AlephAlphaHttpService["postStream"]>>().toEqualTypeOf<ApiError>()
  })

  it("withCallOptions adds ValidationError (bad overrides) to what the effect or stream fails with", () => {
    expectTypeOf<typeof AlephAlphaHttp.withCallOptions>().returns.toEqualTypeOf<
      <S extends Effect.Effect<any, any, any> | Stream.Stream<any, any, any>>(self: S) => WithValidationError<S>
    >()
    expectTypeOf<WithValidationError<Effect.Effect<ChatResponse, ApiError>>>().toEqualTypeOf<Effect.Effect<ChatResponse, ApiError>>()
    expectTypeOf<WithValidationError<Effect.Effect<string, never, Client>>>().toEqualTypeOf<
      Effect.Effect<string, ValidationError, Client>
    >()
    expectTypeOf<WithValidationError<Stream.Stream<ChatStreamEvent, DecodeError>>>().toEqualTypeOf<
      Stream.Stream<ChatStreamEvent, DecodeError | ValidationError>
    >()
  })

  it("is built with a ValidationError for bad options only", () => {
    expectTypeOf<ErrorOf<typeof AlephAlphaHttp.make>>().toEqualTypeOf<ValidationError>()
    expectTypeOf<Layer.Layer.Error<ReturnType<typeof AlephAlphaHttp.layer>>>().toEqualTypeOf<ValidationError>()
    expectTypeOf<Layer.Layer.Error<ReturnType<typeof UndiciHttpClient.layer>>>().toEqualTypeOf<ValidationError>()
  })
})

describe("the loaders", () => {
  it("Image loaders fail with MediaError, or ValidationError for bad controls or crops", () => {
    expectTypeOf<ErrorOf<typeof Image.fromBytes>>().toEqualTypeOf<MediaError | ValidationError>()
    expectTypeOf<ErrorOf<typeof Image.fromFile>>().toEqualTypeOf<MediaError | ValidationError>()
    expectTypeOf<ErrorOf<typeof Image.fromFileWithCropping>>().toEqualTypeOf<MediaError | ValidationError>()
    expectTypeOf<ErrorOf<typeof Image.fromUrl>>().toEqualTypeOf<MediaError | ValidationError>()
    expectTypeOf<ErrorOf<typeof Image.fromUrlWithCropping>>().toEqualTypeOf<MediaError | ValidationError>()
    expectTypeOf<ErrorOf<typeof Image.fromImageSource>>().toEqualTypeOf<MediaError | ValidationError>()
  })

  it("reading an image's bytes or size, base64 loading and docx reading fail with MediaError only", () => {
    expectTypeOf<ErrorOf<Image["dimensions"]>>().toEqualTypeOf<MediaError>()
    expectTypeOf<ErrorOf<Image["bytes"]>>().toEqualTypeOf<MediaError>()
    expectTypeOf<ErrorOf<typeof loadBase64FromFile>>().toEqualTypeOf<MediaError>()
    expectTypeOf<ErrorOf<typeof loadBase64FromUrl>>().toEqualTypeOf<MediaError>()
    expectTypeOf<ErrorOf<typeof Document.fromDocxFile>>().toEqualTypeOf<MediaError>()
    expectTypeOf<ErrorOf<typeof Document.fromDocxBytes>>().toEqualTypeOf<MediaError>()
  })

  it("templates, prompts and JSON schemas fail with ValidationError only", () => {
    expectTypeOf<ErrorOf<typeof PromptTemplate.make>>().toEqualTypeOf<ValidationError>()
    expectTypeOf<ErrorOf<PromptTemplate["toPrompt"]>>().toEqualTypeOf<ValidationError>()
    expectTypeOf<ErrorOf<typeof Prompt.make>>().toEqualTypeOf<ValidationError>()
    expectTypeOf<ErrorOf<typeof Prompt.fromJson>>().toEqualTypeOf<ValidationError>()
    expectTypeOf<ErrorOf<typeof JSONSchema.fromSchema>>().toEqualTypeOf<ValidationError>()
  })

  it("a tokenizer from JSON fails with DecodeError only", () => {
    expectTypeOf<ErrorOf<typeof tokenizerFromJson>>().toEqualTypeOf<DecodeError>()
  })
})

describe("responses", () => {
  it("withImagePromptItemsInPixels fails with MediaError or ValidationError, inPixels with MediaError", () => {
    expectTypeOf<ErrorOf<ExplanationResponse["withImagePromptItemsInPixels"]>>().toEqualTypeOf<
      MediaError | ValidationError
    >()
    expectTypeOf<ErrorOf<Explanation["withImagePromptItemsInPixels"]>>().toEqualTypeOf<MediaError | ValidationError>()
    expectTypeOf<ErrorOf<ImagePromptItemExplanation["inPixels"]>>().toEqualTypeOf<MediaError>()
  })

  it("fromStream fails with exactly its stream's error", () => {
    type ChatFromStream = typeof ChatResponse.fromStream<ApiError, never>
    type CompletionFromStream = typeof CompletionResponse.fromStream<ApiError, never>
    expectTypeOf<ErrorOf<ChatFromStream>>().toEqualTypeOf<ApiError>()
    expectTypeOf<ErrorOf<CompletionFromStream>>().toEqualTypeOf<ApiError>()
    expectTypeOf<Parameters<ChatFromStream>[0]>().toEqualTypeOf<Stream.Stream<ChatStreamEvent, ApiError>>()
    expectTypeOf<Parameters<CompletionFromStream>[0]>().toEqualTypeOf<Stream.Stream<CompletionStreamEvent, ApiError>>()
  })
})

type IsAny<T> = 0 extends 1 & T ? true : false

/** What an export's `make` function returns (`never` without one; a plain `Schema.Class`'s `make` returns `any`). */
type MakeResult<T> = T extends { readonly make: (...args: any) => infer R } ? IsAny<R> extends true ? never : R : never

type IsEffect<T> = [T] extends [never] ? false : T extends Effect.Effect<any, any, any> ? true : false

/** Every export whose `make` function returns an Effect, with that Effect's error. */
type MakeErrors = {
  readonly [K in keyof typeof Index as IsEffect<MakeResult<(typeof Index)[K]>> extends true ? K : never]:
    MakeResult<(typeof Index)[K]> extends Effect.Effect<any, infer E, any> ? E : never
}

describe("X.make", () => {
  it("fails with ValidationError only, for every class that has it", () => {
    expectTypeOf<MakeErrors[keyof MakeErrors]>().toEqualTypeOf<ValidationError>()
    // the SafeClass wire models are among them, so the check above is not vacuous
    expectTypeOf<
      | "ChatRequest"
      | "CompletionRequest"
      | "EmbeddingRequest"
      | "ExplanationRequest"
      | "Image"
      | "Cropping"
      | "Prompt"
      | "TranslationRequest"
      | "SteeringConceptCreationRequest"
    >().toMatchTypeOf<keyof MakeErrors>()
  })

  it("of representative classes fails with exactly ValidationError", () => {
    expectTypeOf<ErrorOf<typeof Index.CompletionRequest.make<typeof Index.CompletionRequest>>>().toEqualTypeOf<
      ValidationError
    >()
    expectTypeOf<ErrorOf<typeof Index.ChatRequest.make<typeof Index.ChatRequest>>>().toEqualTypeOf<ValidationError>()
    expectTypeOf<ErrorOf<typeof Index.Image.make<typeof Index.Image>>>().toEqualTypeOf<ValidationError>()
  })
})

describe("the @effect/ai provider", () => {
  it("builds its models without failing, and maps every client error to an AiError", () => {
    expectTypeOf<Layer.Layer.Error<ReturnType<typeof AlephAlphaAi.AlephAlphaLanguageModel.layer>>>().toEqualTypeOf<never>()
    expectTypeOf<Layer.Layer.Error<ReturnType<typeof AlephAlphaAi.AlephAlphaEmbeddingModel.layer>>>().toEqualTypeOf<
      never
    >()
    expectTypeOf<Parameters<typeof AlephAlphaAi.toAiError>[0]>().toEqualTypeOf<AlephAlphaError>()
    expect(typeof AlephAlphaAi.toAiError).toBe("function")
  })
})
