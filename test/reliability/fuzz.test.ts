/**
 * Bad-input fuzzing (issue 8): arbitrary values — wrong types, NaN, ±Infinity, negative counts,
 * fractions, huge arrays, unpaired surrogates, BigInts, cycles — for every request class,
 * through `X.make` and through the `Client` methods (also with instances built with validation
 * switched off, and with plain objects in place of instances). The outcome is a
 * `ValidationError` or a valid request: never a thrown exception, never a defect, and what the
 * fake server received is a JSON object that decodes back into the request class.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Arbitrary, Cause, Effect, Exit, Inspectable, ManagedRuntime, ParseResult, Schema, Stream, Struct } from "effect"
import * as fc from "fast-check"
import {
  BatchSemanticEmbeddingRequest,
  ChatRequest,
  Client,
  type ClientService,
  CompletionRequest,
  Cropping,
  CustomGranularity,
  DetokenizationRequest,
  EmbeddingRequest,
  EmbeddingV2Request,
  EvaluationRequest,
  ExplanationRequest,
  FunctionCall,
  FunctionDefinition,
  Image,
  ImageControl,
  InstructableEmbeddingRequest,
  JSONSchema,
  Message,
  MessageToolCall,
  Prompt,
  RerankRequest,
  SemanticEmbeddingRequest,
  SteeringConceptCreationRequest,
  SteeringPairedExample,
  StreamOptions,
  Text,
  TextControl,
  TokenControl,
  TokenizationRequest,
  Tokens,
  Tool,
  TranslationRequest
} from "../../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../../src/testing/index.js"

// ---------------------------------------------------------------------------------------------
// the fake server answers every request with a 400 at once, so only the wire matters

const runtime = ManagedRuntime.make(AlephAlphaTest.layer({ client: { totalRetries: 0 } }))
beforeAll(() =>
  runtime.runPromise(Effect.flatMap(FakeServer.FakeServer, (fake) =>
    fake.script(Fault.Status({ status: 400, times: 1e9, body: { error: "fuzz", code: "FUZZ" } }))))
)
afterAll(() => runtime.dispose())

const client = () => runtime.runPromise(Client)

// ---------------------------------------------------------------------------------------------
// nasty values

const circular = (() => {
  const value: Record<string, unknown> = { a: 1 }
  value.self = value
  return value
})()

const loneSurrogates = fc.string({
  unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  minLength: 1,
  maxLength: 4
})

/** Values no field wants: wrong types, non-finite and fractional numbers, broken strings, huge arrays. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    NaN,
    Infinity,
    -Infinity,
    -1,
    -0,
    0.5,
    1.5,
    -(2 ** 31),
    2 ** 53,
    Number.MAX_VALUE,
    "",
    "\uD800",
    "a\uDFFFb",
    null,
    undefined,
    true,
    [],
    {},
    [NaN],
    [-1],
    [[]],
    { type: "text" },
    { type: "image", base64: 5 },
    BigInt(7),
    Symbol("nasty"),
    () => 1,
    new Date(NaN),
    circular,
    Array.from({ length: 20_000 }, (_, i) => i),
    Array.from({ length: 5_000 }, () => NaN),
    "x".repeat(100_000)
  ),
  loneSurrogates,
  fc.double(),
  fc.integer(),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.anything({ maxDepth: 2 }),
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 5 })
)

/** A copy of a container that keeps its prototype (a class instance stays one, unvalidated). */
const copy = (value: object): Record<PropertyKey, unknown> =>
  Array.isArray(value)
    ? (value.slice() as unknown as Record<PropertyKey, unknown>)
    : Object.assign(Object.create(Object.getPrototypeOf(value) as object | null) as Record<PropertyKey, unknown>, value)

/**
 * Replaces the value found by following `path` (each step picks a key modulo the key count; one
 * more than the keys adds a new element) with `replacement`.
 */
const mutate = (value: unknown, path: ReadonlyArray<number>, replacement: unknown): unknown => {
  if (path.length === 0 || typeof value !== "object" || value === null) return replacement
  const keys = Object.keys(value)
  const step = path[0]! % (keys.length + 1)
  const result = copy(value)
  if (step === keys.length) {
    if (Array.isArray(result)) (result as unknown as Array<unknown>).push(replacement)
    else result[`extra${path.length}`] = replacement
    return result
  }
  const key = keys[step]!
  result[key] = mutate((value as Record<string, unknown>)[key], path.slice(1), replacement)
  return result
}

/** Valid props, or valid props with one nasty value somewhere, or a nasty value instead of props. */
const inputs = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 1, arbitrary: valid },
    { weight: 6, arbitrary: fc.tuple(valid, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), nasty).map(([v, p, n]) => mutate(v, p, n)) },
    { weight: 1, arbitrary: nasty }
  )

// ---------------------------------------------------------------------------------------------
// valid props per class

type AnyClass = {
  new(props: any, options?: Schema.MakeOptions): any
  make(props: any): Effect.Effect<unknown, unknown>
} & Schema.Schema<any, any>

/** The props of a valid instance, from `Arbitrary.make` (instances' own fields are their props). */
const propsOf = (C: Schema.Schema<any, any>): fc.Arbitrary<unknown> =>
  Arbitrary.make(C).map((instance) => ({ ...(instance as object) }))

const gif = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

// `Image` in chat content has no arbitrary of its own: chat messages are built here
const chatProps: fc.Arbitrary<unknown> = fc.record({
  rest: Arbitrary.make(Schema.Struct(Struct.omit(ChatRequest.fields, "messages"))),
  messages: fc.array(
    fc.record({
      role: fc.constantFrom("system" as const, "user" as const, "assistant" as const, "tool" as const),
      content: fc.oneof(fc.string(), fc.array(fc.oneof(fc.string(), fc.constant(new Image({ base64: gif }))), { minLength: 1, maxLength: 3 }))
    }).map((fields) => new Message(fields)),
    { minLength: 1, maxLength: 3 }
  )
}).map(({ messages, rest }) => ({ ...rest, messages }))

type Call = (client: ClientService, request: any) => Effect.Effect<unknown, unknown>

const drain = <A, E>(stream: Stream.Stream<A, E>) => Stream.runDrain(stream)

interface Subject {
  readonly name: string
  readonly C: AnyClass
  readonly props: fc.Arbitrary<unknown>
  readonly calls: ReadonlyArray<Call>
}

const model = "luminous-base"

const subjects: ReadonlyArray<Subject> = [
  {
    name: "CompletionRequest",
    C: CompletionRequest,
    props: propsOf(CompletionRequest),
    calls: [(c, r) => c.complete(r, model), (c, r) => drain(c.completeWithStreaming(r, model))]
  },
  {
    name: "ChatRequest",
    C: ChatRequest,
    props: chatProps,
    calls: [
      (c, r) => c.chat(r, "llama-3.1-8b-instruct"),
      (c, r) => c.chat(r),
      (c, r) => drain(c.chatWithStreaming(r)),
      (c, r) => c.chatStructured(r, Schema.Struct({ answer: Schema.String }), "llama-3.1-8b-instruct")
    ]
  },
  { name: "EmbeddingRequest", C: EmbeddingRequest, props: propsOf(EmbeddingRequest), calls: [(c, r) => c.embed(r, model)] },
  {
    name: "SemanticEmbeddingRequest",
    C: SemanticEmbeddingRequest,
    props: propsOf(SemanticEmbeddingRequest),
    calls: [(c, r) => c.semanticEmbed(r, model)]
  },
  {
    name: "BatchSemanticEmbeddingRequest",
    C: BatchSemanticEmbeddingRequest,
    props: propsOf(BatchSemanticEmbeddingRequest),
    calls: [
      (c, r) => c.batchSemanticEmbed(r, model, { batchSize: 2, concurrency: 2 }),
      (c, r) => drain(c.batchSemanticEmbedStream(r))
    ]
  },
  {
    name: "InstructableEmbeddingRequest",
    C: InstructableEmbeddingRequest,
    props: propsOf(InstructableEmbeddingRequest),
    calls: [(c, r) => c.instructableEmbed(r, model)]
  },
  { name: "EmbeddingV2Request", C: EmbeddingV2Request, props: propsOf(EmbeddingV2Request), calls: [(c, r) => c.embeddings(r, model)] },
  { name: "EvaluationRequest", C: EvaluationRequest, props: propsOf(EvaluationRequest), calls: [(c, r) => c.evaluate(r, model)] },
  { name: "ExplanationRequest", C: ExplanationRequest, props: propsOf(ExplanationRequest), calls: [(c, r) => c.explain(r, model)] },
  { name: "TokenizationRequest", C: TokenizationRequest, props: propsOf(TokenizationRequest), calls: [(c, r) => c.tokenize(r, model)] },
  {
    name: "DetokenizationRequest",
    C: DetokenizationRequest,
    props: propsOf(DetokenizationRequest),
    calls: [(c, r) => c.detokenize(r, model)]
  },
  { name: "TranslationRequest", C: TranslationRequest, props: propsOf(TranslationRequest), calls: [(c, r) => c.translate(r)] },
  { name: "RerankRequest", C: RerankRequest, props: propsOf(RerankRequest), calls: [(c, r) => c.rerank(r, "bge-reranker-v2-m3")] },
  {
    name: "SteeringConceptCreationRequest",
    C: SteeringConceptCreationRequest,
    props: propsOf(SteeringConceptCreationRequest),
    calls: [(c, r) => c.createSteeringConcept(r)]
  }
]

// the parts requests are built from: `make` only
const parts: ReadonlyArray<readonly [string, AnyClass, fc.Arbitrary<unknown>]> = [
  ["Text", Text, propsOf(Text)],
  ["Tokens", Tokens, propsOf(Tokens)],
  ["Image", Image, propsOf(Image)],
  ["TextControl", TextControl, propsOf(TextControl)],
  ["ImageControl", ImageControl, propsOf(ImageControl)],
  ["TokenControl", TokenControl, propsOf(TokenControl)],
  ["Cropping", Cropping, propsOf(Cropping)],
  ["Message", Message, chatProps.map((props) => ({ ...((props as { messages: Array<Message> }).messages[0]) }))],
  ["MessageToolCall", MessageToolCall, propsOf(MessageToolCall)],
  ["FunctionCall", FunctionCall, propsOf(FunctionCall)],
  ["FunctionDefinition", FunctionDefinition, propsOf(FunctionDefinition)],
  ["Tool", Tool, propsOf(Tool)],
  ["StreamOptions", StreamOptions, propsOf(StreamOptions)],
  ["JSONSchema", JSONSchema, propsOf(JSONSchema)],
  ["CustomGranularity", CustomGranularity, propsOf(CustomGranularity)],
  ["SteeringPairedExample", SteeringPairedExample, propsOf(SteeringPairedExample)]
]

// ---------------------------------------------------------------------------------------------
// the checks

const describeInput = (input: unknown) => {
  try {
    return Inspectable.format(input).slice(0, 400)
  } catch {
    return String(input).slice(0, 400)
  }
}

/** `new X(props)` returns or throws a `ParseError`; nothing else. */
const checkConstructor = (C: AnyClass, props: unknown) => {
  try {
    new C(props)
  } catch (error) {
    expect(ParseResult.isParseError(error), `new ${C.name}: ${String(error)}`).toBe(true)
  }
}

/** An exit that is a success or a `ValidationError` (or one of `also`) — no defect, no interruption. */
const checkExit = (exit: Exit.Exit<unknown, unknown>, what: string, also: ReadonlyArray<string> = []) => {
  if (Exit.isSuccess(exit)) return "success"
  const defects = Cause.defects(exit.cause)
  expect(defects.length, `${what}: a defect\n${Cause.pretty(exit.cause)}`).toBe(0)
  expect(Cause.isInterrupted(exit.cause), `${what}: interrupted`).toBe(false)
  const failures = [...Cause.failures(exit.cause)] as Array<{ readonly _tag?: string }>
  expect(failures.length, what).toBe(1)
  const tag = failures[0]!._tag ?? "?"
  expect(["ValidationError", ...also], `${what}: ${Cause.pretty(exit.cause)}`).toContain(tag)
  return tag
}

const requestsSoFar = Effect.flatMap(FakeServer.FakeServer, (fake) => fake.requests)

/** Outcomes per subject, to show the properties reach both the validation and the wire. */
const seen = new Map<string, Map<string, number>>()
const count = (name: string, tag: string) => {
  const tags = seen.get(name) ?? new Map<string, number>()
  tags.set(tag, (tags.get(tag) ?? 0) + 1)
  seen.set(name, tags)
}

/** Calls the method; a `ValidationError` sent nothing, anything else sent valid JSON that decodes as `C`. */
const checkCall = async (subject: Subject, call: Call, request: unknown, label: string) => {
  const service = await client()
  const before = (await runtime.runPromise(requestsSoFar)).length
  const exit = await runtime.runPromiseExit(Effect.suspend(() => call(service, request)))
  const tag = checkExit(exit, `${subject.name} ${label} ${describeInput(request)}`, ["BadRequestError"])
  const sent = (await runtime.runPromise(requestsSoFar)).slice(before)
  count(subject.name, tag)
  if (tag === "ValidationError") {
    expect(sent, "nothing is sent after a ValidationError").toEqual([])
    return
  }
  expect(tag).toBe("BadRequestError")
  expect(sent.length).toBeGreaterThan(0)
  for (const received of sent) {
    const body = received.body
    expect(typeof body === "object" && body !== null && !Array.isArray(body), `the wire body is a JSON object: ${describeInput(body)}`)
      .toBe(true)
    const decoded = Schema.decodeUnknownEither(subject.C as Schema.Schema<unknown, unknown>)(body)
    expect(decoded._tag, `the wire body decodes as ${subject.name}: ${decoded._tag === "Left" ? decoded.left.message : ""}`)
      .toBe("Right")
  }
}

const check = async (subject: Subject, props: unknown) => {
  checkConstructor(subject.C, props)
  const made = await runtime.runPromiseExit(Effect.suspend(() => subject.C.make(props)))
  checkExit(made, `${subject.name}.make(${describeInput(props)})`)
  let unchecked: unknown = undefined
  try {
    unchecked = new subject.C(props, { disableValidation: true })
  } catch {
    // not an object at all: the user's own TypeError, before our code runs
  }
  for (const [index, call] of subject.calls.entries()) {
    if (Exit.isSuccess(made)) await checkCall(subject, call, made.value, `call ${index} with make's instance`)
    if (unchecked !== undefined) await checkCall(subject, call, unchecked, `call ${index} with an unvalidated instance`)
    await checkCall(subject, call, props, `call ${index} with the props themselves`)
  }
}

const numRuns = Number(process.env.FUZZ_RUNS ?? 25)

describe("bad-input fuzzing: a ValidationError or a valid request, never a throw or a defect", () => {
  for (const subject of subjects) {
    it(`${subject.name}: make, new, and every Client method`, async () => {
      await fc.assert(fc.asyncProperty(inputs(subject.props), (props) => check(subject, props)), { numRuns })
      // both outcomes happened: the fuzzing reached the validation and the wire
      expect([...(seen.get(subject.name)?.keys() ?? [])].sort()).toEqual(["BadRequestError", "ValidationError"])
    }, 60_000)
  }

  it("not a request at all (null, undefined, a number, a string, an array, another class): a ValidationError, nothing sent", async () => {
    const others = [null, undefined, 5, "a request", [], {}, new TokenizationRequest({ prompt: "x", tokens: true, tokenIds: true })]
    for (const subject of subjects) {
      for (const [index, call] of subject.calls.entries()) {
        for (const request of others) {
          if (request instanceof subject.C) continue
          const service = await client()
          const before = (await runtime.runPromise(requestsSoFar)).length
          const exit = await runtime.runPromiseExit(Effect.suspend(() => call(service, request)))
          expect(checkExit(exit, `${subject.name} call ${index} with ${describeInput(request)}`)).toBe("ValidationError")
          expect((await runtime.runPromise(requestsSoFar)).length).toBe(before)
        }
      }
    }
  }, 60_000)

  it("free-form fields (tool parameters, JSON schemas) holding what JSON cannot carry: a ValidationError, not a defect", async () => {
    const chat = subjects.find((subject) => subject.name === "ChatRequest")!
    const document = fc.tuple(
      fc.dictionary(fc.string({ maxLength: 4 }), fc.anything({ maxDepth: 2 }), { maxKeys: 4 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
      nasty
    ).map(([doc, path, value]) => mutate(doc, path, value) as Record<string, unknown>)
    await fc.assert(
      fc.asyncProperty(document, fc.boolean(), async (doc, asTool) => {
        const messages = [new Message({ role: "user", content: "hi" })]
        const fields = asTool
          ? { messages, tools: [new Tool({ function: new FunctionDefinition({ name: "f", parameters: {} }) }, { disableValidation: true })] }
          : { messages, responseFormat: new JSONSchema({ schema: {}, name: "doc" }) }
        // the free-form document goes in unvalidated, as any user object would
        if (asTool) Object.assign(fields.tools![0]!.function, { parameters: doc })
        else Object.assign(fields.responseFormat!, { schema: doc })
        const request = new ChatRequest(fields, { disableValidation: true })
        for (const [index, call] of chat.calls.slice(0, 3).entries()) await checkCall(chat, call, request, `call ${index}`)
      }),
      { numRuns: numRuns * 2 }
    )
    // the unsendable ones are named
    const cyclic: Record<string, unknown> = { type: "object" }
    cyclic.properties = { loop: cyclic }
    const request = new ChatRequest({
      messages: [new Message({ role: "user", content: "hi" })],
      responseFormat: new JSONSchema({ schema: { type: "object", maximum: BigInt(3) }, name: "doc" })
    })
    const error = await runtime.runPromise(Effect.flip(Effect.flatMap(Client, (c) => c.chat(request, "llama-3.1-8b-instruct"))))
    expect(error).toMatchObject({ _tag: "ValidationError", path: "response_format.json_schema.schema.maximum", subject: "ChatRequest" })
    expect(error.message).toContain("BigInt")
    const tool = new Tool({ function: new FunctionDefinition({ name: "f", parameters: cyclic }) })
    const cycle = await runtime.runPromise(Effect.flip(Effect.flatMap(Client, (c) =>
      c.chat(new ChatRequest({ messages: [new Message({ role: "user", content: "hi" })], tools: [tool] }), "llama-3.1-8b-instruct"))))
    expect(cycle).toMatchObject({ _tag: "ValidationError", subject: "ChatRequest" })
    expect((cycle as { path: string }).path).toMatch(/^tools\.0\.function\.parameters\.properties\.loop/)
    expect(cycle.message).toContain("circular")
  }, 60_000)

  it("the request parts: make gives an instance or a ValidationError, new only throws a ParseError", async () => {
    for (const [name, C, props] of parts) {
      await fc.assert(
        fc.asyncProperty(inputs(props), async (input) => {
          checkConstructor(C, input)
          checkExit(await runtime.runPromiseExit(Effect.suspend(() => C.make(input))), `${name}.make(${describeInput(input)})`)
        }),
        { numRuns: numRuns * 2 }
      )
    }
    await fc.assert(
      fc.asyncProperty(fc.oneof(nasty, fc.array(nasty, { maxLength: 3 })), async (input) => {
        checkExit(await runtime.runPromiseExit(Effect.suspend(() => Prompt.make(input as never))), `Prompt.make(${describeInput(input)})`)
      }),
      { numRuns: numRuns * 2 }
    )
  }, 60_000)
})
