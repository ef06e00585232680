/**
 * Hostile input and answers (issue 17, point 2): every public method — of `Client`, of each
 * family service, of `AsyncClient` — and every safe constructor `X.make`, given anything
 * untyped JavaScript can pass (throwing getters, `Proxy` objects, revoked proxies, cycles,
 * values nested 100,000 levels deep, any model argument), ends in a success or one of the
 * method's declared error classes: never a synchronous throw, never a defect, never a raw
 * `TypeError`/`RangeError` rejection. Answers nested 100,000 levels deep are a `DecodeError`
 * whose message is bounded, on every decoding path.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, ManagedRuntime, Schema, Stream } from "effect"
import * as fc from "fast-check"
import * as Api from "../../src/index.js"
import {
  AbortError,
  AsyncClient,
  BatchSemanticEmbeddingRequest,
  ChatCompletions,
  ChatRequest,
  Client,
  type ClientService,
  ClientClosedError,
  CompletionRequest,
  Completions,
  DetokenizationRequest,
  EmbeddingRequest,
  Embeddings,
  EmbeddingV2Request,
  EvaluationRequest,
  Evaluations,
  ExplanationRequest,
  Explanations,
  InstructableEmbeddingRequest,
  isAlephAlphaError,
  Message,
  Models,
  Prompt,
  Reranking,
  RerankRequest,
  SemanticEmbeddingRequest,
  Steering,
  SteeringConceptCreationRequest,
  SteeringPairedExample,
  Tokenization,
  TokenizationRequest,
  TranslationRequest,
  Translations
} from "../../src/index.js"
import { AlephAlphaTest, FakeServer, Fault, InMemory } from "../../src/testing/index.js"
import { deepArray, deepJson, Hostile, hostile, proxyOf, revoked, withThrowingGetter } from "./hostileValues.js"

// ---------------------------------------------------------------------------------------------
// the fake server in memory, for the Effect API and for AsyncClient (over its fetch shim)

const runtime = ManagedRuntime.make(AlephAlphaTest.layer({ client: { totalRetries: 0 } }))
const fake = <A>(f: (server: FakeServer.Service) => Effect.Effect<A>) =>
  runtime.runPromise(Effect.flatMap(FakeServer.FakeServer, f))
const requestCount = () => fake((server) => Effect.map(server.requests, (requests) => requests.length))

let asyncClient: AsyncClient
beforeAll(async () => {
  const transport = await runtime.runPromise(Effect.flatMap(FakeServer.FakeServer, InMemory.make))
  asyncClient = new AsyncClient({ token: "hostile", host: `${InMemory.url}/v1`, totalRetries: 0, transport: transport.fetch })
})
afterAll(async () => {
  await asyncClient.close()
  await runtime.dispose()
})
beforeEach(() => fake((server) => server.reset))

// ---------------------------------------------------------------------------------------------
// the methods, with valid arguments and the error tags each may end in

const httpTags = [
  "BadRequestError",
  "AuthenticationError",
  "QuotaError",
  "PermissionDeniedError",
  "NotFoundError",
  "RequestTimeoutError",
  "RateLimitError",
  "BusyError",
  "ServerError",
  "UnexpectedStatusError"
]
/** What a plain call may fail with: bad input, an HTTP status, the connection, the answer. */
const plainTags = ["ValidationError", ...httpTags, "TransportError", "DecodeError"]

const prompt = Prompt.fromText("an apple a day")
const model = "luminous-base"
const chatModel = "llama-3.1-8b-instruct"
const chatRequest = new ChatRequest({ messages: [new Message({ role: "user", content: "hi" })], maximumTokens: 4 })
const completionRequest = new CompletionRequest({ prompt, maximumTokens: 4 })
const batchRequest = new BatchSemanticEmbeddingRequest({ prompts: [prompt, prompt, prompt], representation: "symmetric" })
const answer = Schema.Struct({ answer: Schema.String })
const timeTool = Api.ChatTool.make({ name: "get_time", parameters: Schema.Struct({ zone: Schema.String }) })
const toolOptions = { tools: [timeTool], handlers: { get_time: () => Effect.succeed("noon") }, model: chatModel, maxRounds: 2 }
const toolLoopTags = [...plainTags, "MaxRoundsExceededError", "ToolResultError"]

type Family = Context.Tag<any, any>

interface Method {
  readonly name: keyof ClientService
  readonly family: Family
  /** Valid arguments: each position may be replaced by a hostile value. */
  readonly valid: ReadonlyArray<unknown>
  readonly tags: ReadonlyArray<string>
}

const methods: ReadonlyArray<Method> = [
  { name: "complete", family: Completions, valid: [completionRequest, model], tags: plainTags },
  { name: "completeWithStreaming", family: Completions, valid: [completionRequest, model], tags: plainTags },
  { name: "chat", family: ChatCompletions, valid: [chatRequest, chatModel], tags: plainTags },
  { name: "chatWithStreaming", family: ChatCompletions, valid: [chatRequest, chatModel], tags: plainTags },
  {
    name: "chatStructured",
    family: ChatCompletions,
    valid: [chatRequest, answer, chatModel, { strict: true }],
    tags: [...plainTags, "StructuredOutputError"]
  },
  { name: "chatWithTools", family: ChatCompletions, valid: [chatRequest, toolOptions], tags: toolLoopTags },
  { name: "chatWithToolsStreaming", family: ChatCompletions, valid: [chatRequest, toolOptions], tags: toolLoopTags },
  { name: "embed", family: Embeddings, valid: [new EmbeddingRequest({ prompt, layers: [0], pooling: ["mean"] }), model], tags: plainTags },
  {
    name: "semanticEmbed",
    family: Embeddings,
    valid: [new SemanticEmbeddingRequest({ prompt, representation: "symmetric" }), model],
    tags: plainTags
  },
  { name: "batchSemanticEmbed", family: Embeddings, valid: [batchRequest, model, { batchSize: 2, concurrency: 2 }], tags: plainTags },
  { name: "batchSemanticEmbedStream", family: Embeddings, valid: [batchRequest, model, { batchSize: 2 }], tags: plainTags },
  {
    name: "instructableEmbed",
    family: Embeddings,
    valid: [new InstructableEmbeddingRequest({ input: prompt, instruction: "Represent the text" }), model],
    tags: plainTags
  },
  { name: "embeddings", family: Embeddings, valid: [new EmbeddingV2Request({ input: "hello" }), model], tags: plainTags },
  { name: "explain", family: Explanations, valid: [new ExplanationRequest({ prompt, target: " day" }), model], tags: plainTags },
  { name: "evaluate", family: Evaluations, valid: [new EvaluationRequest({ prompt, completionExpected: " day" }), model], tags: plainTags },
  {
    name: "tokenize",
    family: Tokenization,
    valid: [new TokenizationRequest({ prompt: "x", tokens: true, tokenIds: true }), model],
    tags: plainTags
  },
  { name: "detokenize", family: Tokenization, valid: [new DetokenizationRequest({ tokenIds: [1, 2] }), model], tags: plainTags },
  { name: "tokenizerJson", family: Tokenization, valid: [model], tags: plainTags },
  {
    name: "translate",
    family: Translations,
    valid: [new TranslationRequest({ model: "pharia-1-mt-translation", source: "Hallo.", targetLanguage: "en" })],
    tags: plainTags
  },
  {
    name: "rerank",
    family: Reranking,
    valid: [new RerankRequest({ query: "fox", documents: ["a cat", "a fox"] }), "bge-reranker-v2-m3"],
    tags: plainTags
  },
  {
    name: "createSteeringConcept",
    family: Steering,
    valid: [new SteeringConceptCreationRequest({ examples: [new SteeringPairedExample({ negative: "a", positive: "b" })] })],
    tags: plainTags
  },
  { name: "models", family: Models, valid: [], tags: plainTags },
  { name: "getVersion", family: Models, valid: [], tags: plainTags },
  { name: "validateVersion", family: Models, valid: [], tags: [...plainTags, "VersionMismatchError"] }
]

// every Client method is covered
type Uncovered = Exclude<keyof ClientService, (typeof methods)[number]["name"]>
const allCovered: Uncovered extends never ? true : Uncovered = true as never
void allCovered
it("the table covers every Client method", async () => {
  expect(methods.map((m) => m.name).sort()).toEqual(Object.keys(await runtime.runPromise(Client)).sort())
})

/** Which arguments are replaced, and by what: each valid one, and one more (the trailing options). */
const argumentsFor = (method: Method): fc.Arbitrary<ReadonlyArray<Hostile | undefined>> =>
  fc.array(fc.option(hostile(method.valid), { nil: undefined, freq: 2 }), {
    minLength: method.valid.length + 1,
    maxLength: method.valid.length + 1
  })

/** The arguments of one call, the hostile ones freshly built. */
const build = (method: Method, replacements: ReadonlyArray<Hostile | undefined>): Array<unknown> => {
  const args = [...method.valid]
  replacements.forEach((replacement, i) => {
    if (replacement !== undefined) args[i] = replacement.make()
  })
  return args
}

const describeArgs = (method: Method, replacements: ReadonlyArray<Hostile | undefined>) =>
  replacements.map((replacement, i) => replacement?.label ?? `valid argument ${i}`).join(", ")

/** Runs an Effect method's result, a stream drained to its end. */
const outcome = (result: unknown): Effect.Effect<unknown, unknown> =>
  Stream.StreamTypeId in (result as object) ? Stream.runDrain(result as Stream.Stream<unknown, unknown>) : result as Effect.Effect<unknown, unknown>

const outcomes = new Map<string, Set<string>>()
const record = (name: string, tag: string) => outcomes.set(name, (outcomes.get(name) ?? new Set()).add(tag))

/** The method returned (no synchronous throw), and its exit is a success or one of `tags`: no defect. */
const expectTyped = (exit: Exit.Exit<unknown, unknown>, tags: ReadonlyArray<string>, what: string): string => {
  if (Exit.isSuccess(exit)) return "success"
  expect([...Cause.defects(exit.cause)], `${what}: a defect\n${Cause.pretty(exit.cause)}`).toEqual([])
  const failures = [...Cause.failures(exit.cause)]
  expect(failures.length, `${what}: ${Cause.pretty(exit.cause)}`).toBe(1)
  const failure = failures[0] as { readonly _tag?: unknown }
  expect(isAlephAlphaError(failure), `${what}: not an error of the client`).toBe(true)
  expect(tags, what).toContain(failure._tag)
  return failure._tag as string
}

const numRuns = Number(process.env.FUZZ_RUNS ?? 25)

describe("hostile input: a success or a declared error, never a throw or a defect", () => {
  for (const method of methods) {
    it(`${method.name}, through Client and through its family service`, async () => {
      const client = await runtime.runPromise(Client)
      const family = await runtime.runPromise(method.family)
      await fc.assert(
        fc.asyncProperty(argumentsFor(method), fc.boolean(), async (replacements, viaFamily) => {
          const service = viaFamily ? family : client
          const args = build(method, replacements)
          const what = `${viaFamily ? "family" : "Client"}.${method.name}(${describeArgs(method, replacements)})`
          let result: unknown
          try {
            result = (service[method.name] as (...args: ReadonlyArray<unknown>) => unknown)(...args)
          } catch (thrown) {
            expect.fail(`${what} threw synchronously: ${String(thrown)}`)
          }
          const exit = await runtime.runPromiseExit(outcome(result))
          record(method.name, expectTyped(exit, method.tags, what))
        }),
        {
          numRuns,
          // always both: the valid call, and a revoked proxy in place of the first argument
          examples: [
            [Array.from({ length: method.valid.length + 1 }, () => undefined), false],
            [[new Hostile("a revoked proxy", () => revoked)], true]
          ]
        }
      )
      // the property reached both ends: valid calls reach the server, hostile ones fail typed
      const seen = [...(outcomes.get(method.name) ?? [])]
      expect(seen.some((tag) => tag !== "ValidationError"), seen.join()).toBe(true)
      if (method.valid.length > 0) expect(seen).toContain("ValidationError")
    }, 120_000)
  }

  it("AsyncClient: every method resolves or rejects with a declared error, never throws or rejects raw", async () => {
    const extra = ["AbortError", "ClientClosedError"]
    for (const method of methods) {
      await fc.assert(
        // the argument after the valid ones is the trailing options (`signal`): hostile too
        fc.asyncProperty(argumentsFor(method), async (replacements) => {
          const all = build(method, replacements)
          const what = `AsyncClient.${method.name}(${describeArgs(method, replacements)})`
          let result: unknown
          try {
            result = (asyncClient[method.name] as (...args: ReadonlyArray<unknown>) => unknown)(...all)
          } catch (thrown) {
            expect.fail(`${what} threw synchronously: ${String(thrown)}`)
          }
          try {
            if (result instanceof Promise) await result
            else for await (const _ of result as AsyncIterable<unknown>) void _
          } catch (rejection) {
            const ok = isAlephAlphaError(rejection) || rejection instanceof AbortError || rejection instanceof ClientClosedError
            expect(ok, `${what} rejected with ${String(rejection)}`).toBe(true)
            expect([...method.tags, ...extra], what).toContain((rejection as { _tag: string })._tag)
          }
        }),
        { numRuns: Math.max(5, Math.floor(numRuns / 3)) }
      )
    }
  }, 240_000)

  it("AlephAlphaHttp.withCallOptions: any options give the call's outcome or a ValidationError, on an effect and a stream", async () => {
    const client = await runtime.runPromise(Client)
    const valid = { requestTimeout: "10 seconds", totalRetries: 0, headers: { "x-a": "b" } }
    const keys = ["requestTimeout", "totalRetries", "retrySchedule", "headers"]
    await fc.assert(
      fc.asyncProperty(hostile([valid], keys), fc.boolean(), async (recipe, streamed) => {
        const what = `withCallOptions(${recipe.label})`
        let applied: unknown
        try {
          const apply = Api.AlephAlphaHttp.withCallOptions(recipe.make() as Api.CallOverrides)
          applied = streamed ? apply(client.chatWithStreaming(chatRequest, chatModel)) : apply(client.models())
        } catch (thrown) {
          expect.fail(`${what} threw synchronously: ${String(thrown)}`)
        }
        record("withCallOptions", expectTyped(await runtime.runPromiseExit(outcome(applied)), plainTags, what))
      }),
      { numRuns: numRuns * 2, examples: [[new Hostile("valid", () => valid), false], [new Hostile("a revoked proxy", () => revoked), true]] }
    )
    expect([...(outcomes.get("withCallOptions") ?? [])]).toEqual(expect.arrayContaining(["success", "ValidationError"]))
  }, 120_000)

  it("every safe constructor X.make gives an instance or a ValidationError", async () => {
    const makers = Object.entries(Api).flatMap(([name, value]) => {
      if (typeof value !== "function" || Context.isTag(value) || typeof (value as { make?: unknown }).make !== "function") return []
      try {
        const probe: unknown = (value as unknown as { make: (input: unknown) => unknown }).make(undefined)
        return Effect.isEffect(probe) ? [[name, value as unknown as { make: (input: unknown) => unknown }] as const] : []
      } catch {
        return [] // the plain Schema.Class `make` of response and error classes: it throws by convention
      }
    })
    expect(makers.length).toBeGreaterThanOrEqual(30)
    for (const [name, C] of makers) {
      await fc.assert(
        fc.asyncProperty(hostile([{ text: "x" }, { prompt, maximumTokens: 1 }, [prompt]]), async (recipe) => {
          const input = recipe.make()
          let made: unknown
          try {
            made = C.make(input)
          } catch (thrown) {
            expect.fail(`${name}.make threw synchronously: ${String(thrown)}`)
          }
          const exit = await runtime.runPromiseExit(made as Effect.Effect<unknown, unknown>)
          expectTyped(exit, ["ValidationError"], `${name}.make(${recipe.label})`)
        }),
        { numRuns }
      )
    }
  }, 240_000)
})

// ---------------------------------------------------------------------------------------------
// the known cases, one by one

const run = (f: (client: ClientService) => Effect.Effect<unknown, unknown> | Stream.Stream<unknown, unknown>) =>
  runtime.runPromiseExit(Effect.flatMap(Client, (client) => outcome(f(client))))

const validationOf = (exit: Exit.Exit<unknown, unknown>) => {
  const tag = expectTyped(exit, ["ValidationError"], "a ValidationError")
  expect(tag).toBe("ValidationError")
  return (exit as Exit.Failure<unknown, Api.ValidationError>).cause.pipe(Cause.failureOption, (o) => (o as { value: Api.ValidationError }).value)
}

describe("throwing getters and proxies as requests", () => {
  it("are a ValidationError naming the field that could not be read, and nothing is sent", async () => {
    const getter = withThrowingGetter("maximumTokens", 0, CompletionRequest.prototype)
    Object.assign(getter as object, { prompt })
    const calls: ReadonlyArray<(c: ClientService) => Effect.Effect<unknown, unknown> | Stream.Stream<unknown, unknown>> = [
      (c) => c.complete(getter as CompletionRequest, model),
      (c) => c.completeWithStreaming(getter as CompletionRequest, model)
    ]
    for (const call of calls) {
      const error = validationOf(await run(call))
      expect(error).toMatchObject({ path: "maximumTokens", subject: "CompletionRequest" })
      expect(error.issue).toBe("could not be read (TypeError: a getter threw)")
    }
    const proxy = proxyOf(chatRequest, "get", 0, "messages") as ChatRequest
    const chats: ReadonlyArray<(c: ClientService) => Effect.Effect<unknown, unknown> | Stream.Stream<unknown, unknown>> = [
      (c) => c.chat(proxy, chatModel),
      (c) => c.chatWithStreaming(proxy, chatModel),
      (c) => c.chatStructured(proxy, answer, chatModel)
    ]
    for (const call of chats) {
      expect(validationOf(await run(call))).toMatchObject({ path: "messages", subject: "ChatRequest" })
    }
    const translation = withThrowingGetter("source", 1, TranslationRequest.prototype)
    Object.assign(translation as object, { model: "pharia-1-mt-translation" })
    expect(validationOf(await run((c) => c.translate(translation as TranslationRequest)))).toMatchObject({
      path: "source",
      issue: "could not be read (RangeError: Maximum call stack size exceeded)"
    })
    expect(await requestCount()).toBe(0)
  })

  it("through AsyncClient reject with the ValidationError, not a raw TypeError", async () => {
    const getter = withThrowingGetter("prompt", 0, CompletionRequest.prototype)
    await expect(asyncClient.complete(getter as CompletionRequest, model)).rejects.toMatchObject({
      _tag: "ValidationError",
      path: "prompt"
    })
    await expect(asyncClient.chat(revoked as ChatRequest, chatModel)).rejects.toBeInstanceOf(Api.ValidationError)
    const options = withThrowingGetter("signal", 0)
    await expect(asyncClient.getVersion(options as Api.CallOptions)).rejects.toMatchObject({ _tag: "ValidationError", path: "signal" })
    await expect(asyncClient.getVersion({ signal: 42 } as never)).rejects.toMatchObject({ _tag: "ValidationError", path: "signal" })
    expect(await requestCount()).toBe(0)
  })

  it("X.make on a throwing getter or a proxy is a ValidationError, as on a deep value", async () => {
    const cases: ReadonlyArray<readonly [Effect.Effect<unknown, Api.ValidationError>, string]> = [
      [CompletionRequest.make(withThrowingGetter("prompt", 0) as never), "prompt"],
      [Message.make(proxyOf({ role: "user", content: "hi" }, "get", 4, "content") as never), "content"],
      [TokenizationRequest.make(revoked as never), ""],
      [Prompt.make(proxyOf([], "get", 2) as never), "length"],
      [Api.Text.make({ text: deepArray } as never), "text"],
      [Prompt.fromJson(revoked), ""],
      [Prompt.fromJson([{ type: "text", data: "x" }, proxyOf({ type: "text", data: "y" }, "get", 0, "data")]), "1.data"]
    ]
    for (const [made, path] of cases) {
      expect(validationOf(await runtime.runPromiseExit(made)).path).toBe(path)
    }
  })
})

describe("the model argument", () => {
  const bad: ReadonlyArray<unknown> = [42, null, {}, ["m"], Symbol("m"), "", ".", "..", "a\u0000b", "m\r\n", "\u0085", "\udc00", undefined]

  it("is checked by every method that takes one: a ValidationError at model, nothing sent", async () => {
    const takesModel = methods.filter((method) =>
      !["translate", "createSteeringConcept", "models", "getVersion", "validateVersion", "chatWithTools", "chatWithToolsStreaming"]
        .includes(method.name)
    )
    for (const method of takesModel) {
      const position = method.name === "tokenizerJson" ? 0 : method.name === "chatStructured" ? 2 : 1
      for (const value of bad) {
        // chat without a model argument takes request.model, which this request has not
        if (value === undefined && method.name === "batchSemanticEmbed") continue
        if (value === undefined && method.name === "batchSemanticEmbedStream") continue
        const args = [...method.valid]
        args[position] = value
        const exit = await run((client) => (client[method.name] as (...args: ReadonlyArray<unknown>) => never)(...args))
        const error = validationOf(exit)
        expect(error.path, `${method.name} with ${String(value)}`).toBe("model")
      }
    }
    expect(await requestCount()).toBe(0)
  })

  it("of chat may come from the request, checked the same way", async () => {
    for (const value of [42, "", "..", "a\u0000b"]) {
      const request = new ChatRequest({ ...chatRequest, model: value as string }, { disableValidation: true })
      expect(validationOf(await run((c) => c.chat(request))).path).toBe("model")
    }
    expect(await requestCount()).toBe(0)
  })

  it("of the tool loop comes from its options or the request, checked the same way", async () => {
    for (const value of [42, "", "..", "a\u0000b", undefined]) {
      const options = { ...toolOptions, model: value as string }
      expect(validationOf(await run((c) => c.chatWithTools(chatRequest, options))).path).toBe("model")
      expect(validationOf(await run((c) => c.chatWithToolsStreaming(chatRequest, options))).path).toBe("model")
    }
    expect(await requestCount()).toBe(0)
  })

  it("of the tool loop: options, tools and handlers that throw when read are a ValidationError naming them", async () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      [withThrowingGetter("handlers", 0), "handlers"],
      [{ ...toolOptions, tools: [proxyOf({ ...timeTool }, "get", 1, "parameters")] }, "tools.0"],
      [{ ...toolOptions, tools: [Api.ChatTool.make(withThrowingGetter("name", 2) as never)] }, "tools.0"],
      [{ ...toolOptions, handlers: proxyOf({}, "ownKeys", 0) }, "handlers"]
    ]
    for (const [options, path] of cases) {
      const error = validationOf(await run((c) => c.chatWithTools(chatRequest, options as typeof toolOptions)))
      expect(error.path).toBe(path)
      await expect(asyncClient.chatWithTools(chatRequest, options as never)).rejects.toBeInstanceOf(Api.ValidationError)
    }
    expect(await requestCount()).toBe(0)
  })

  it("through AsyncClient rejects with the ValidationError", async () => {
    await expect(asyncClient.tokenize(new TokenizationRequest({ prompt: "x", tokens: true, tokenIds: false }), 42 as never)).rejects.toMatchObject({
      _tag: "ValidationError",
      path: "model"
    })
    expect(await requestCount()).toBe(0)
  })
})

describe("answers nested 100,000 levels deep: a DecodeError with a bounded message", () => {
  const bounded = (exit: Exit.Exit<unknown, unknown>) => {
    expect(expectTyped(exit, ["DecodeError"], "a DecodeError")).toBe("DecodeError")
    const error = Cause.squash((exit as Exit.Failure<unknown, unknown>).cause) as Api.DecodeError
    expect(error.message.length).toBeLessThan(3000)
    return error
  }
  const answerWith = (body: string) => fake((server) => server.script(Fault.Status({ status: 200, body })))

  it("for a plain POST, a GET, and through AsyncClient", async () => {
    await answerWith(deepJson)
    bounded(await run((c) => c.complete(completionRequest, model)))
    await answerWith(deepJson)
    bounded(await run((c) => c.models()))
    await answerWith(`{"model_version":"1","num_tokens_prompt_total":1,"num_tokens_generated":1,"completions":${deepJson}}`)
    const error = bounded(await run((c) => c.complete(completionRequest, model)))
    expect(error.message).toContain("completions")
    await answerWith(deepJson)
    const rejection = await asyncClient.complete(completionRequest, model).then(() => undefined, (e: unknown) => e)
    expect(rejection).toBeInstanceOf(Api.DecodeError)
    expect((rejection as Error).message.length).toBeLessThan(3000)
  })

  it("for completion and chat stream events", async () => {
    await answerWith(`data: {"type":"stream_chunk","index":0,"completion":${deepJson}}\n\n`)
    bounded(await run((c) => c.completeWithStreaming(completionRequest, model)))
    await answerWith(`data: {"id":"x","choices":${deepJson}}\n\n`)
    bounded(await run((c) => c.chatWithStreaming(chatRequest, chatModel)))
  })

  it("and a huge answer's message is cut, not the whole answer", async () => {
    await answerWith(
      JSON.stringify({ model_version: "1", num_tokens_prompt_total: 1, num_tokens_generated: 1, completions: "x".repeat(1_000_000) })
    )
    bounded(await run((c) => c.complete(completionRequest, model)))
  })

  it("a structured output decoded with a recursive schema is a StructuredOutputError", async () => {
    interface Tree {
      readonly children: ReadonlyArray<Tree>
    }
    const Tree: Schema.Schema<Tree> = Schema.Struct({ children: Schema.Array(Schema.suspend(() => Tree)) }).annotations({
      identifier: "Tree"
    })
    const content = "{\"children\":[".repeat(100_000) + "]}".repeat(100_000)
    const body = {
      id: "x",
      object: "chat.completion",
      created: 0,
      model: chatModel,
      choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }]
    }
    await fake((server) => server.script(Fault.Status({ status: 200, body })))
    const exit = await run((c) => c.chatStructured(chatRequest, Tree, chatModel, { strict: false }))
    expect(expectTyped(exit, ["StructuredOutputError"], "chatStructured")).toBe("StructuredOutputError")
    expect(Cause.squash((exit as Exit.Failure<unknown, unknown>).cause)).toBeInstanceOf(Api.StructuredOutputError)
  })
})
