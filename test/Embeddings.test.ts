import { describe, expect, it } from "@effect/vitest"
import { expectTypeOf } from "vitest"
import { Cause, Duration, Effect, Either, Exit, Fiber, Option, Schema, Stream, TestClock } from "effect"
import fc from "fast-check"
import {
  type BatchProgress,
  BatchSemanticEmbeddingRequest,
  BatchSemanticEmbeddingResponse,
  Client,
  EmbeddingRequest,
  EmbeddingResponse,
  EmbeddingV2Request,
  EmbeddingV2Response,
  InstructableEmbeddingRequest,
  InstructableEmbeddingResponse,
  POOLING_OPTIONS,
  Prompt,
  type SemanticEmbeddingBatch,
  SemanticEmbeddingRequest,
  SemanticEmbeddingResponse,
  Text,
  TextControl,
  Tokens
} from "../src/index.js"
import {
  BatchSemanticEmbeddingResponseFromWire,
  EmbeddingResponseFromWire,
  InstructableEmbeddingResponseFromWire,
  SemanticEmbeddingResponseFromWire
} from "../src/schema/Embedding.js"
import { AlephAlphaTest, FakeServer, Fault } from "../src/testing/index.js"

const model = "luminous-base"

const server = FakeServer.FakeServer

const bodies = Effect.flatMap(server, (s) =>
  Effect.map(s.requests, (requests) => requests.map((request) => request.body as Record<string, unknown>)))

const lastBody = Effect.map(bodies, (all) => all[all.length - 1]!)

const hello = [{ type: "text", data: "hello", controls: [] }]

const norm = (vector: ReadonlyArray<number>) => Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0))

/** A real macrotask: lets the in-memory server's promise-driven work happen. */
const tick = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))

/**
 * Runs `effect` while moving the TestClock on by a second per round, so server latency and
 * retry backoff elapse; returns its result.
 */
const withClock = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let round = 0; round < 5_000; round++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return yield* done.value
      yield* tick
      yield* TestClock.adjust("1 second")
    }
    return yield* Effect.dieMessage("the effect did not finish")
  })

describe("embed", () => {
  it.effect("sends the Python client's body and decodes embeddings keyed by layer, then pooling", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.embed(
        new EmbeddingRequest({ prompt: Prompt.fromText("hello"), layers: [0, -1], pooling: ["mean", "max"] }),
        model
      )
      expect(yield* lastBody).toEqual({
        prompt: hello,
        layers: [0, -1],
        pooling: ["mean", "max"],
        tokens: false,
        normalize: false,
        control_log_additive: true,
        model
      })
      expect(response).toBeInstanceOf(EmbeddingResponse)
      expect(response.modelVersion).toBe("2022-04")
      expect(Object.keys(response.embeddings).sort()).toEqual(["layer_0", "layer_40"])
      expect(Object.keys(response.embeddings["layer_40"]!).sort()).toEqual(["max", "mean"])
      expect(response.embeddings["layer_40"]!["mean"]).toHaveLength(128)
      // one token: every pooling of a layer is the same vector
      expect(response.embeddings["layer_0"]!["mean"]).toEqual(response.embeddings["layer_0"]!["max"])
      expect(response.embeddings["layer_0"]!["mean"]).not.toEqual(response.embeddings["layer_40"]!["mean"])
      expect(response.tokens).toBeNull()
      expect(response.numTokensPromptTotal).toBe(1)
      expect(response.message).toBeUndefined()
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("sends every option under its wire name and returns tokens and unit vectors when asked", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const prompt = new Prompt([
        Text.fromText("an apple a day", [new TextControl({ start: 0, length: 2, factor: 2 })]),
        Tokens.fromTokenIds([7, 8])
      ])
      const response = yield* client.embed(
        new EmbeddingRequest({
          prompt,
          layers: [3, -2],
          pooling: POOLING_OPTIONS,
          type: "legacy",
          tokens: true,
          normalize: true,
          contextualControlThreshold: 0.5,
          controlLogAdditive: false
        }),
        model
      )
      expect(yield* lastBody).toEqual({
        prompt: [
          { type: "text", data: "an apple a day", controls: [{ start: 0, length: 2, factor: 2 }] },
          { type: "token_ids", data: [7, 8], controls: [] }
        ],
        layers: [3, -2],
        pooling: ["mean", "max", "last_token", "abs_max", "weighted_mean"],
        type: "legacy",
        tokens: true,
        normalize: true,
        contextual_control_threshold: 0.5,
        control_log_additive: false,
        model
      })
      expect(Object.keys(response.embeddings).sort()).toEqual(["layer_3", "layer_39"])
      for (const byPooling of Object.values(response.embeddings)) {
        expect(Object.keys(byPooling).sort()).toEqual([...POOLING_OPTIONS].sort())
        for (const vector of Object.values(byPooling)) expect(norm(vector)).toBeCloseTo(1, 5)
      }
      expect(response.tokens).toEqual(["an", "apple", "a", "day", "<token_id:7>", "<token_id:8>"])
      expect(response.numTokensPromptTotal).toBe(6)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("POOLING_OPTIONS holds the Python client's four poolings and the API's weighted_mean", () =>
    Effect.sync(() => {
      expect(POOLING_OPTIONS).toEqual(["mean", "max", "last_token", "abs_max", "weighted_mean"])
    }))
})

describe("semanticEmbed", () => {
  it.effect("sends representation, compress_to_size and the defaults, and decodes a 128-float vector", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.semanticEmbed(
        new SemanticEmbeddingRequest({ prompt: Prompt.fromText("hello"), representation: "symmetric", compressToSize: 128 }),
        model
      )
      expect(yield* lastBody).toEqual({
        prompt: hello,
        representation: "symmetric",
        compress_to_size: 128,
        normalize: false,
        control_log_additive: true,
        model
      })
      expect(response).toBeInstanceOf(SemanticEmbeddingResponse)
      expect(response.modelVersion).toBe("2022-04")
      expect(response.embedding).toHaveLength(128)
      expect(response.numTokensPromptTotal).toBe(1)
    }).pipe(Effect.provide(AlephAlphaTest.layer({ server: { embeddingSize: 64 } }))))

  it.effect("omits unset fields: without compressToSize the vector has the model's full size", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.semanticEmbed(
        new SemanticEmbeddingRequest({
          prompt: Prompt.fromText("what is an apple"),
          representation: "query",
          normalize: true,
          contextualControlThreshold: 0.25,
          controlLogAdditive: false
        }),
        model
      )
      expect(yield* lastBody).toEqual({
        prompt: [{ type: "text", data: "what is an apple", controls: [] }],
        representation: "query",
        normalize: true,
        contextual_control_threshold: 0.25,
        control_log_additive: false,
        model
      })
      expect(response.embedding).toHaveLength(64)
      expect(norm(response.embedding)).toBeCloseTo(1, 5)
      expect(response.numTokensPromptTotal).toBe(4)
    }).pipe(Effect.provide(AlephAlphaTest.layer({ server: { embeddingSize: 64 } }))))
})

describe("instructableEmbed", () => {
  it.effect("sends input and instruction and decodes the vector and token count", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const instruction = "Represent the text to query a database of salutations"
      const response = yield* client.instructableEmbed(
        new InstructableEmbeddingRequest({ input: Prompt.fromText("hello"), instruction }),
        model
      )
      expect(yield* lastBody).toEqual({
        input: hello,
        instruction,
        normalize: false,
        control_log_additive: true,
        model
      })
      expect(response).toBeInstanceOf(InstructableEmbeddingResponse)
      expect(response.modelVersion).toBe("2022-04")
      expect(response.embedding).toHaveLength(128)
      expect(response.numTokensPromptTotal).toBe(1)
      const other = yield* client.instructableEmbed(
        new InstructableEmbeddingRequest({ input: Prompt.fromText("hello"), instruction: "", normalize: true }),
        model
      )
      expect(other.embedding).not.toEqual(response.embedding)
      expect(norm(other.embedding)).toBeCloseTo(1, 5)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})

describe("embeddings (OpenAI-compatible)", () => {
  it.effect("sends only the fields set and decodes the list answer", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.embeddings(
        new EmbeddingV2Request({ input: "this text will be embedded", dimensions: 16, encodingFormat: "float" }),
        model
      )
      expect(yield* lastBody).toEqual({
        input: "this text will be embedded",
        dimensions: 16,
        encoding_format: "float",
        model
      })
      expect(response).toBeInstanceOf(EmbeddingV2Response)
      expect(response.object).toBe("list")
      expect(response.model).toBe(model)
      expect(response.data).toHaveLength(1)
      expect(response.data[0]!.object).toBe("embedding")
      expect(response.data[0]!.index).toBe(0)
      expect(response.data[0]!.embedding).toHaveLength(16)
      expect(response.usage.promptTokens).toBe(5)
      expect(response.usage.totalTokens).toBe(5)

      yield* client.embeddings(new EmbeddingV2Request({ input: ["a", "b"] }), model)
      expect(yield* lastBody).toEqual({ input: ["a", "b"], model })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("decodes base64 vectors as little-endian float32, equal to the float answer", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const input = ["first text", "second text"]
      const floats = yield* client.embeddings(new EmbeddingV2Request({ input, encodingFormat: "float" }), model)
      const base64 = yield* client.embeddings(new EmbeddingV2Request({ input, encodingFormat: "base64" }), model)
      expect(yield* lastBody).toEqual({ input, encoding_format: "base64", model })
      expect(base64.data.map((d) => d.index)).toEqual([0, 1])
      expect(base64.data.map((d) => d.embedding)).toEqual(floats.data.map((d) => d.embedding))
      expect(Array.isArray(base64.data[0]!.embedding)).toBe(true)
      expect(base64.data[0]!.embedding).toHaveLength(128)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("embeds token ids: one list is one input, a list of lists many", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const one = yield* client.embeddings(new EmbeddingV2Request({ input: [1, 2, 3] }), model)
      expect(one.data).toHaveLength(1)
      expect(one.usage.promptTokens).toBe(3)
      const many = yield* client.embeddings(new EmbeddingV2Request({ input: [[1, 2], [3]] }), model)
      expect(yield* lastBody).toEqual({ input: [[1, 2], [3]], model })
      expect(many.data).toHaveLength(2)
      expect(many.usage.promptTokens).toBe(3)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a base64 vector whose length is not a multiple of 4 bytes is a DecodeError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const answer = (embedding: string) =>
        Fault.Status({
          status: 200,
          body: {
            object: "list",
            data: [{ object: "embedding", embedding, index: 0 }],
            model,
            usage: { prompt_tokens: 1, total_tokens: 1 }
          }
        })
      const request = new EmbeddingV2Request({ input: "x", encodingFormat: "base64" })
      // 0x3f800000 little-endian is 1.0
      yield* (yield* server).script(answer(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]).toString("base64")))
      expect((yield* client.embeddings(request, model)).data[0]!.embedding).toEqual([1, 2])
      yield* (yield* server).script(answer(Buffer.from([0, 0, 0x80, 0x3f, 0]).toString("base64")))
      const error = yield* Effect.flip(client.embeddings(request, model))
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("multiple of 4")
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})

// ---------------------------------------------------------------------------------------------
// batchSemanticEmbed
// ---------------------------------------------------------------------------------------------

const promptsOf = (n: number) => Array.from({ length: n }, (_, i) => Prompt.fromText(`prompt ${i}`))

const batchRequest = (n: number) =>
  new BatchSemanticEmbeddingRequest({ prompts: promptsOf(n), representation: "symmetric", compressToSize: 128 })

/**
 * Latency faults that make request `k` of `count` answer after `(count - k) × step` seconds:
 * later requests first, all within a minute (well inside the 305 s request timeout).
 */
const reversedLatency = (count: number) => {
  const step = Math.max(1, Math.floor(60 / count))
  return Array.from({ length: count }, (_, k) => Fault.Latency({ duration: Duration.seconds((count - k) * step) }))
}

describe("batchSemanticEmbed", () => {
  const cases: ReadonlyArray<readonly [prompts: number, concurrency: number, batchSize: number | undefined]> = [
    [1, 1, undefined],
    [1, 8, undefined],
    [100, 1, undefined],
    [100, 8, undefined],
    [101, 1, undefined],
    [101, 8, undefined],
    [250, 1, undefined],
    [250, 8, undefined],
    [250, 8, 7]
  ]
  for (const [n, concurrency, batchSize] of cases) {
    const label = `${n} prompts at concurrency ${concurrency}${batchSize === undefined ? "" : ` in batches of ${batchSize}`}`
    it.effect(`${label}: answers out of order still give input order, summed tokens and full progress`, () =>
      Effect.gen(function*() {
        const client = yield* Client
        const fake = yield* server
        const size = batchSize ?? 100
        const batches = Math.ceil(n / size)
        const request = batchRequest(n)
        const options = { concurrency, ...(batchSize === undefined ? {} : { batchSize }) }

        // the stream shows the order the batches finished in
        yield* fake.script(...reversedLatency(batches))
        const emitted = yield* withClock(Stream.runCollect(client.batchSemanticEmbedStream(request, model, options)))
        const offsets = [...emitted].map((batch) => batch.offset)
        expect([...offsets].sort((a, b) => a - b)).toEqual(Array.from({ length: batches }, (_, k) => k * size))
        if (concurrency > 1 && batches > 1) expect(offsets).not.toEqual([...offsets].sort((a, b) => a - b))
        else expect(offsets).toEqual([...offsets].sort((a, b) => a - b))

        // the wire: consecutive slices of at most batchSize prompts with the same options
        const sent = yield* bodies
        expect(sent).toHaveLength(batches)
        const sentPrompts = sent
          .slice()
          .sort((a, b) =>
            Number(/\d+/.exec(JSON.stringify(a.prompts))![0]) - Number(/\d+/.exec(JSON.stringify(b.prompts))![0])
          )
          .flatMap((body) => body.prompts as Array<unknown>)
        expect(sentPrompts).toEqual(Array.from({ length: n }, (_, i) => [{ type: "text", data: `prompt ${i}`, controls: [] }]))
        for (const body of sent) {
          expect((body.prompts as Array<unknown>).length).toBeLessThanOrEqual(size)
          expect({ ...body, prompts: undefined }).toEqual({
            prompts: undefined,
            representation: "symmetric",
            compress_to_size: 128,
            normalize: false,
            control_log_additive: true,
            model
          })
        }

        // the all-or-nothing call, answered out of order the same way
        yield* fake.reset
        yield* fake.script(...reversedLatency(batches))
        const progress: Array<BatchProgress> = []
        const response = yield* withClock(
          client.batchSemanticEmbed(request, model, { ...options, onProgress: (p) => void progress.push(p) })
        )
        expect(response).toBeInstanceOf(BatchSemanticEmbeddingResponse)
        expect(response.modelVersion).toBe("2022-04")
        expect(response.embeddings).toHaveLength(n)
        expect(response.numTokensPromptTotal).toBe(2 * n)
        expect(progress).toHaveLength(batches)
        expect(progress.map((p) => p.total)).toEqual(Array(batches).fill(n))
        expect(progress.map((p) => p.completed)).toEqual([...progress.map((p) => p.completed)].sort((a, b) => a - b))
        expect(progress[progress.length - 1]).toEqual({ completed: n, total: n })

        // each vector is its own prompt's
        for (const i of new Set([0, 1, size - 1, size, n - 1].filter((i) => i >= 0 && i < n))) {
          const single = yield* client.semanticEmbed(
            new SemanticEmbeddingRequest({ prompt: Prompt.fromText(`prompt ${i}`), representation: "symmetric", compressToSize: 128 }),
            model
          )
          expect(response.embeddings[i]).toEqual(single.embedding)
        }
      }).pipe(Effect.provide(AlephAlphaTest.layer())))
  }

  it.effect("without a model no model key is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.batchSemanticEmbed(
        new BatchSemanticEmbeddingRequest({ prompts: [Prompt.fromText("hello")], representation: "document" })
      )
      expect(yield* lastBody).toEqual({
        prompts: [hello],
        representation: "document",
        normalize: false,
        control_log_additive: true
      })
      expect(response.embeddings).toHaveLength(1)
      expect(response.numTokensPromptTotal).toBe(1)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("onProgress may return an Effect, which runs before its batch counts as done", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const request = batchRequest(30)
      const events: Array<string> = []
      const options = {
        batchSize: 10,
        onProgress: ({ completed, total }: BatchProgress) =>
          Effect.sync(() => events.push(`progress ${completed}/${total}`)).pipe(Effect.delay("1 second"))
      }
      yield* withClock(client.batchSemanticEmbedStream(request, model, options).pipe(
        Stream.runForEach((batch) => Effect.sync(() => events.push(`batch ${batch.offset}`)))
      ))
      expect(events).toEqual(["progress 10/30", "batch 0", "progress 20/30", "batch 10", "progress 30/30", "batch 20"])

      events.length = 0
      const response = yield* withClock(client.batchSemanticEmbed(request, model, options))
      expect(response.embeddings).toHaveLength(30)
      expect(events).toEqual(["progress 10/30", "progress 20/30", "progress 30/30"])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("an onProgress Effect that fails (untyped code) is a defect, as a throw is: the error type stays ApiError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const failing = { onProgress: () => Effect.fail(new Error("progress bar gone")) }
      // @ts-expect-error an Effect that can fail is not an onProgress
      const exit = yield* Effect.exit(client.batchSemanticEmbed(batchRequest(2), model, failing))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ message: "progress bar gone" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a 503 storm on one batch ends in BusyError, after the stream delivered the batches before it", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const fake = yield* server
      const request = batchRequest(30)
      const options = { batchSize: 10, concurrency: 1 }
      const storm = [
        Fault.Latency({ duration: 0, times: 2 }),
        Fault.Status({ status: 503, times: 9, body: { error: "Queue full", code: "QUEUE_FULL" } })
      ]

      yield* fake.script(...storm)
      const received: Array<SemanticEmbeddingBatch> = []
      const streamed = yield* withClock(Effect.either(
        client.batchSemanticEmbedStream(request, model, options).pipe(
          Stream.runForEach((batch) => Effect.sync(() => received.push(batch)))
        )
      ))
      expect(Either.isLeft(streamed) && streamed.left).toMatchObject({ _tag: "BusyError", status: 503, code: "QUEUE_FULL" })
      expect(received.map((batch) => batch.offset)).toEqual([0, 10])
      expect(received.map((batch) => batch.embeddings.length)).toEqual([10, 10])
      // two answers, then the first attempt and 8 retries of the third batch
      expect(yield* bodies).toHaveLength(11)

      yield* fake.reset
      yield* fake.script(...storm)
      const progress: Array<BatchProgress> = []
      const result = yield* withClock(
        Effect.exit(client.batchSemanticEmbed(request, model, { ...options, onProgress: (p) => void progress.push(p) }))
      )
      expect(Exit.isFailure(result)).toBe(true)
      expect(yield* Effect.flip(result)).toMatchObject({ _tag: "BusyError", status: 503 })
      expect(progress).toEqual([{ completed: 10, total: 30 }, { completed: 20, total: 30 }])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("an answer with fewer embeddings than prompts is a DecodeError, never a short list", () =>
    Effect.gen(function*() {
      const client = yield* Client
      yield* (yield* server).script(
        Fault.Status({ status: 200, body: { model_version: "x", embeddings: [[1, 2]], num_tokens_prompt_total: 2 } })
      )
      const error = yield* Effect.flip(client.batchSemanticEmbed(batchRequest(2), model))
      expect(error._tag).toBe("DecodeError")
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a vector with a non-number element is a DecodeError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      yield* (yield* server).script(
        Fault.Status({ status: 200, body: { model_version: "x", embedding: [1, null, 3], num_tokens_prompt_total: 1 } })
      )
      const error = yield* Effect.flip(
        client.semanticEmbed(new SemanticEmbeddingRequest({ prompt: Prompt.fromText("x"), representation: "symmetric" }), model)
      )
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("element 1 is not a finite number")
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})

// ---------------------------------------------------------------------------------------------
// bad input
// ---------------------------------------------------------------------------------------------

describe("bad embedding input", () => {
  const nothingSent = Effect.flatMap(bodies, (sent) => Effect.sync(() => expect(sent).toEqual([])))

  for (
    const [label, options, path] of [
      ["batchSize 0", { batchSize: 0 }, "batchSize"],
      ["batchSize 101", { batchSize: 101 }, "batchSize"],
      ["a fractional batchSize", { batchSize: 2.5 }, "batchSize"],
      ["concurrency 0", { concurrency: 0 }, "concurrency"],
      ["a fractional concurrency", { concurrency: 1.5 }, "concurrency"]
    ] as const
  ) {
    it.effect(`${label} is a ValidationError before anything is sent, from the call and from the stream`, () =>
      Effect.gen(function*() {
        const client = yield* Client
        const error = yield* Effect.flip(client.batchSemanticEmbed(batchRequest(3), model, options))
        expect(error).toMatchObject({ _tag: "ValidationError", path, subject: "BatchSemanticEmbedOptions" })
        const streamError = yield* Effect.flip(Stream.runDrain(client.batchSemanticEmbedStream(batchRequest(3), model, options)))
        expect(streamError).toMatchObject({ _tag: "ValidationError", path })
        yield* nothingSent
      }).pipe(Effect.provide(AlephAlphaTest.layer())))
  }

  it.effect("an unknown pooling is a ValidationError, from make and from a request built without validation", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const fields = { prompt: Prompt.fromText("x"), layers: [0], pooling: ["median" as "mean"] }
      expect(() => new EmbeddingRequest(fields)).toThrow()
      expect(yield* Effect.flip(EmbeddingRequest.make(fields))).toMatchObject({ _tag: "ValidationError", path: "pooling.0" })
      const unchecked = new EmbeddingRequest(fields, { disableValidation: true })
      expect(yield* Effect.flip(client.embed(unchecked, model))).toMatchObject({ _tag: "ValidationError", path: "pooling.0" })
      yield* nothingSent
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("empty layers, empty prompts, a compressToSize other than 128 and an empty input are ValidationErrors", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const prompt = Prompt.fromText("x")
      const embed = new EmbeddingRequest({ prompt, layers: [], pooling: ["mean"] }, { disableValidation: true })
      expect(yield* Effect.flip(client.embed(embed, model))).toMatchObject({ _tag: "ValidationError", path: "layers" })
      const batch = new BatchSemanticEmbeddingRequest({ prompts: [], representation: "symmetric" }, { disableValidation: true })
      expect(yield* Effect.flip(client.batchSemanticEmbed(batch, model))).toMatchObject({ _tag: "ValidationError", path: "prompts" })
      const semantic = new SemanticEmbeddingRequest(
        { prompt, representation: "symmetric", compressToSize: 64 as 128 },
        { disableValidation: true }
      )
      expect(yield* Effect.flip(client.semanticEmbed(semantic, model))).toMatchObject({
        _tag: "ValidationError",
        path: "compressToSize"
      })
      const representation = new SemanticEmbeddingRequest(
        { prompt, representation: "sideways" as "query" },
        { disableValidation: true }
      )
      expect(yield* Effect.flip(client.semanticEmbed(representation, model))).toMatchObject({ _tag: "ValidationError" })
      expect(yield* Effect.flip(EmbeddingV2Request.make({ input: [] }))).toMatchObject({ _tag: "ValidationError" })
      expect(yield* Effect.flip(EmbeddingV2Request.make({ input: "x", dimensions: 0 }))).toMatchObject({
        _tag: "ValidationError",
        path: "dimensions"
      })
      yield* nothingSent
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a bad prompt late in a batch fails before the first batch is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const tokens = new Tokens({ tokens: [-1] }, { disableValidation: true })
      const bad = new BatchSemanticEmbeddingRequest(
        { prompts: [...promptsOf(150), new Prompt([tokens], { disableValidation: true })], representation: "symmetric" },
        { disableValidation: true }
      )
      const error = yield* Effect.flip(client.batchSemanticEmbed(bad, model, { batchSize: 10 }))
      expect(error).toMatchObject({ _tag: "ValidationError" })
      expect((error as { path: string }).path).toMatch(/^prompts\.150/)
      yield* nothingSent
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})

describe("the lean embedding answer decoders", () => {
  it("skip a layer or pooling named __proto__ instead of letting it set a prototype, as the class does", () => {
    const wire = JSON.parse(
      '{"model_version":"m","num_tokens_prompt_total":1,"embeddings":{"__proto__":{"mean":[1]},"l":{"__proto__":[],"max":[2]}}}'
    )
    for (const schema of [EmbeddingResponse, EmbeddingResponseFromWire]) {
      const { embeddings } = Schema.decodeUnknownSync(schema as Schema.Schema<EmbeddingResponse, unknown>)(wire)
      expect(Object.getPrototypeOf(embeddings)).toBe(Object.prototype)
      expect(Object.getPrototypeOf(embeddings["l"])).toBe(Object.prototype)
      expect(embeddings).toStrictEqual({ l: { max: [2] } })
    }
  })

  it("keep the batch answer's list and vectors as JSON.parse built them, and report a bad element as the schema does", () => {
    const wire = JSON.parse('{"model_version":"m","num_tokens_prompt_total":3,"embeddings":[[1,2.5],[0,-1]],"extra":1}')
    const decoded = Schema.decodeUnknownSync(BatchSemanticEmbeddingResponseFromWire)(wire)
    expect(decoded).toBeInstanceOf(BatchSemanticEmbeddingResponse)
    expect(decoded.embeddings).toBe(wire.embeddings)
    expect(decoded.embeddings[1]).toBe(wire.embeddings[1])
    expect(decoded.numTokensPromptTotal).toBe(3)
    const bad = Schema.decodeUnknownEither(BatchSemanticEmbeddingResponseFromWire)({ ...wire, embeddings: [[1, null]] })
    expect(Either.isLeft(bad) && bad.left.message).toContain("element 1 is not a finite number")
  })

  const vector = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 8 })
  const common = {
    model_version: fc.string(),
    num_tokens_prompt_total: fc.integer(),
    message: fc.option(fc.string(), { nil: null })
  }
  const required = (field: string) => ({ requiredKeys: ["model_version", "num_tokens_prompt_total", field] as Array<never> })
  const cases = [
    {
      name: "EmbeddingResponse",
      viaClass: EmbeddingResponse,
      viaWire: EmbeddingResponseFromWire,
      answer: fc.record({
        ...common,
        embeddings: fc.dictionary(fc.string(), fc.dictionary(fc.string(), vector)),
        tokens: fc.option(fc.array(fc.string()), { nil: null })
      }, required("embeddings"))
    },
    {
      name: "SemanticEmbeddingResponse",
      viaClass: SemanticEmbeddingResponse,
      viaWire: SemanticEmbeddingResponseFromWire,
      answer: fc.record({ ...common, embedding: vector }, required("embedding"))
    },
    {
      name: "BatchSemanticEmbeddingResponse",
      viaClass: BatchSemanticEmbeddingResponse,
      viaWire: BatchSemanticEmbeddingResponseFromWire,
      answer: fc.record({ ...common, embeddings: fc.array(vector, { maxLength: 4 }) }, required("embeddings"))
    },
    {
      name: "InstructableEmbeddingResponse",
      viaClass: InstructableEmbeddingResponse,
      viaWire: InstructableEmbeddingResponseFromWire,
      answer: fc.record({ ...common, embedding: vector }, required("embedding"))
    }
  ] as const
  // a bad element inside a vector, or a whole field replaced by anything
  const badElement = fc.oneof(fc.constant(Number.NaN), fc.constant(null), fc.string(), fc.constant(Infinity))

  for (const { answer, name, viaClass, viaWire } of cases) {
    const expected = Schema.decodeUnknownEither(viaClass as Schema.Schema<unknown, unknown>)
    const actual = Schema.decodeUnknownEither(viaWire as Schema.Schema<unknown, unknown>)
    const answers: fc.Arbitrary<unknown> = fc.oneof(
      answer,
      fc.anything(),
      fc.tuple(answer, fc.constantFrom(...Object.keys(viaClass.fields).map(snake), "embedding", "embeddings"), fc.anything())
        .map(([a, key, value]) => ({ ...a, [key]: value })),
      fc.tuple(answer, badElement).map(([a, bad]) => withBadElement(a, bad))
    )

    it(`decodes every ${name} exactly as the class's own schema does, and fails where it fails`, () => {
      fc.assert(
        fc.property(answers, (input) => {
          const want = expected(input)
          const got = actual(input)
          expect(got._tag).toBe(want._tag)
          if (Either.isRight(want) && Either.isRight(got)) {
            expect(got.right).toStrictEqual(want.right)
            expect(got.right).toBeInstanceOf(viaClass)
          }
        }),
        { numRuns: 300 }
      )
    })

    it(`encodes a ${name} back to what the class's own schema encodes`, () => {
      fc.assert(
        fc.property(answer, (input) => {
          const response = Schema.decodeUnknownSync(viaClass as Schema.Schema<unknown, unknown>)(input)
          expect(Schema.encodeSync(viaWire as Schema.Schema<unknown, unknown>)(response)).toStrictEqual(
            Schema.encodeSync(viaClass as Schema.Schema<unknown, unknown>)(response)
          )
        }),
        { numRuns: 100 }
      )
    })
  }
})

describe("the wire types", () => {
  it("a response's and a request's Encoded types name their wire keys, with no string index signature", () => {
    // a helper that took the wire key as `string` turned each renamed field into an index
    // signature, which the shipped .d.ts could not hold (TS2411 under skipLibCheck: false)
    type Keys<T> = string extends keyof T ? "an index signature" : keyof T
    expectTypeOf<Keys<typeof EmbeddingResponse.Encoded>>().toEqualTypeOf<
      "model_version" | "embeddings" | "tokens" | "num_tokens_prompt_total" | "message"
    >()
    expectTypeOf<Keys<typeof SemanticEmbeddingRequest.Encoded>>().toEqualTypeOf<
      "prompt" | "representation" | "compress_to_size" | "normalize" | "contextual_control_threshold" | "control_log_additive"
    >()
    const response = new EmbeddingResponse({ modelVersion: "v", embeddings: { layer_0: { mean: [1] } }, numTokensPromptTotal: 1 })
    expect(Object.keys(Schema.encodeSync(EmbeddingResponse)(response)).sort()).toEqual(
      ["embeddings", "model_version", "num_tokens_prompt_total", "tokens"]
    )
  })
})

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** The answer with one vector element replaced by `bad` (in the first vector it holds). */
const withBadElement = (answer: Record<string, unknown>, bad: unknown): Record<string, unknown> => {
  const replace = (vector: ReadonlyArray<unknown>) => vector.length === 0 ? [bad] : [bad, ...vector.slice(1)]
  if (Array.isArray(answer.embedding)) return { ...answer, embedding: replace(answer.embedding) }
  if (Array.isArray(answer.embeddings)) {
    return { ...answer, embeddings: answer.embeddings.length === 0 ? [[bad]] : [replace(answer.embeddings[0]), ...answer.embeddings.slice(1)] }
  }
  const layers = answer.embeddings as Record<string, Record<string, ReadonlyArray<unknown>>>
  return { ...answer, embeddings: { ...layers, layer_0: { mean: [bad] } } }
}
