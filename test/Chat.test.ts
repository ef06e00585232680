import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Chunk, Effect, Either, Equal, Schema, Stream, Struct } from "effect"
import fc from "fast-check"
import { deflateSync } from "node:zlib"
import {
  ChatRequest,
  ChatResponse,
  type ChatStreamEvent,
  Client,
  FunctionCall,
  Image,
  JSONSchema,
  Message,
  MessageToolCall,
  StreamOptions,
  Tool
} from "../src/index.js"
import {
  ChatEventAssembler,
  ChatResponseDecoder,
  encodePlainChatRequest,
  ChatResponseFromWire,
  ChatStreamChunk,
  decodeChatChunk,
  decodeChatChunkWithSchema,
  plainChatChunkFromData
} from "../src/schema/Chat.js"
import { encodeInput } from "../src/schema/internal/untypedInput.js"
import { AlephAlphaTest, FakeServer, Fault } from "../src/testing/index.js"

const model = "llama-3.1-8b-instruct"

const lastBody = Effect.flatMap(FakeServer.FakeServer, (server) =>
  Effect.map(server.requests, (requests) => requests[requests.length - 1]!.body as Record<string, unknown>))

const user = (content: string) => new Message({ role: "user", content })

/** A valid 2×1 PNG made here (signature, IHDR, IDAT, IEND). */
const png = (): Uint8Array => {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    return c >>> 0
  })
  const crc = (bytes: Uint8Array) => {
    let c = 0xffffffff
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8)
    return (c ^ 0xffffffff) >>> 0
  }
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length)
    out.writeUInt32BE(data.length, 0)
    out.write(type, 4, "ascii")
    Buffer.from(data).copy(out, 8)
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length)
    return out
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(2, 0)
  ihdr.writeUInt32BE(1, 4)
  ihdr.set([8, 2, 0, 0, 0], 8)
  const raw = Buffer.from([0, 255, 0, 0, 0, 0, 255])
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", new Uint8Array())
  ])
}

describe("chat", () => {
  it.effect("sends every field under its wire name; maximumTokens as max_tokens", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const tool = Tool.fn({
        name: "get_weather",
        description: "Get the weather",
        parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
        strict: true
      })
      yield* client.chat(
        new ChatRequest({
          model: "ignored-by-the-argument",
          messages: [
            new Message({ role: "system", content: "Be brief." }),
            new Message({
              role: "assistant",
              content: "",
              toolCalls: [new MessageToolCall({ id: "call-1", function: new FunctionCall({ name: "get_weather", arguments: "{}" }) })]
            }),
            new Message({ role: "tool", content: "sunny", toolCallId: "call-1" }),
            user("And tomorrow?")
          ],
          maximumTokens: 9,
          temperature: 0.5,
          topP: 0.9,
          frequencyPenalty: 0.1,
          presencePenalty: -0.1,
          stop: ["\n"],
          logprobs: true,
          topLogprobs: 2,
          n: 1,
          logitBias: { "12": -5 },
          steeringConcepts: ["_worker/x"],
          tools: [tool],
          toolChoice: "none"
        }),
        model
      )
      expect(yield* lastBody).toEqual({
        model,
        messages: [
          { role: "system", content: "Be brief." },
          {
            role: "assistant",
            content: "",
            tool_calls: [{ id: "call-1", type: "function", function: { name: "get_weather", arguments: "{}" } }]
          },
          { role: "tool", content: "sunny", tool_call_id: "call-1" },
          { role: "user", content: "And tomorrow?" }
        ],
        max_tokens: 9,
        temperature: 0.5,
        top_p: 0.9,
        frequency_penalty: 0.1,
        presence_penalty: -0.1,
        stop: ["\n"],
        logprobs: true,
        top_logprobs: 2,
        n: 1,
        logit_bias: { "12": -5 },
        steering_concepts: ["_worker/x"],
        tools: [{
          type: "function",
          function: {
            name: "get_weather",
            description: "Get the weather",
            parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] },
            strict: true
          }
        }],
        tool_choice: "none"
      })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("decodes every response field and takes the model from the request when no argument is given", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.chat(
        new ChatRequest({ model, messages: [user("hello there friend")], logprobs: true, topLogprobs: 1 })
      )
      expect(response).toBeInstanceOf(ChatResponse)
      expect(response.id).toBeTypeOf("string")
      expect(response.model).toBe(model)
      expect(response.created).toBeTypeOf("number")
      const [choice] = response.choices
      expect(choice!.index).toBe(0)
      expect(choice!.finishReason).toBe("stop")
      expect(choice!.message.role).toBe("assistant")
      expect(choice!.message.content).toContain("hello")
      expect(choice!.toolCalls).toEqual([])
      expect(choice!.logprobs?.content?.[0]?.token).toBeTypeOf("string")
      expect(response.usage?.totalTokens).toBe((response.usage?.promptTokens ?? 0) + (response.usage?.completionTokens ?? 0))
      expect((yield* lastBody).model).toBe(model)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a stream accumulated with fromStream equals the non-streaming answer, with usage and n = 2 apart", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const request = new ChatRequest({
        model,
        messages: [user("one two three four five six")],
        maximumTokens: 5,
        n: 2,
        streamOptions: new StreamOptions({ includeUsage: true })
      })
      const plain = yield* client.chat(request)
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(client.chatWithStreaming(request)))
      const streamed = yield* ChatResponse.fromStream(Stream.fromIterable(events))
      const view = (response: ChatResponse) =>
        response.choices.map((c) => ({ index: c.index, finish: c.finishReason, role: c.message.role, content: c.message.content }))
      expect(view(streamed)).toEqual(view(plain))
      expect(streamed.usage).toEqual(plain.usage)
      expect(events[events.length - 1]!._tag).toBe("Usage")
      expect(events[0]).toMatchObject({ _tag: "ChatStreamChunk", role: "assistant" })
      const finishes = events.filter((event: ChatStreamEvent) => event._tag === "ChatFinish")
      expect(finishes.map((event) => event.index).sort()).toEqual([0, 1])
      expect(plain.choices[0]!.message.content).not.toBe(plain.choices[1]!.message.content)
      expect(yield* lastBody).toMatchObject({ stream: true, stream_options: { include_usage: true } })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a tool call streamed in several fragments arrives as one whole ToolCall before the finish", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const request = new ChatRequest({
        model,
        messages: [user("What is the weather in Paris, France today?")],
        tools: [Tool.fn({
          name: "get_weather",
          parameters: {
            type: "object",
            properties: { location: { type: "string" }, unit: { type: "string" }, days: { type: "integer" } },
            required: ["location", "unit", "days"]
          }
        })]
      })
      const events = Chunk.toReadonlyArray(yield* Stream.runCollect(client.chatWithStreaming(request)))
      const calls = events.filter((event) => event._tag === "ToolCall")
      expect(calls).toHaveLength(1)
      const [call] = calls
      expect(call).toMatchObject({ _tag: "ToolCall", index: 0, type: "function", function: { name: "get_weather" } })
      expect(Object.keys(JSON.parse(call!.function.arguments))).toEqual(["location", "unit", "days"])
      expect(events.findIndex((event) => event._tag === "ToolCall")).toBeLessThan(
        events.findIndex((event) => event._tag === "ChatFinish")
      )
      expect(events.find((event) => event._tag === "ChatFinish")).toMatchObject({ finishReason: "tool_calls" })
      // the fake server sent it in more than three pieces
      const server = yield* FakeServer.FakeServer
      yield* server.reset
      const plain = yield* client.chat(request)
      expect(plain.choices[0]!.toolCalls[0]!.function.arguments).toBe(call!.function.arguments)
      // and the call goes back into the history
      const history = [...request.messages, new Message({ role: "assistant", content: "", toolCalls: [call!.toMessageToolCall()] })]
      expect(history).toHaveLength(2)
    }).pipe(Effect.provide(AlephAlphaTest.layer({ server: { streamChunks: 8 } }))))

  it.effect("images in chat content become data URIs with their real MIME type", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const image = yield* Image.fromBytes(png())
      yield* client.chat(
        new ChatRequest({ model, messages: [new Message({ role: "user", content: ["Describe this.", image] })] })
      )
      const body = yield* lastBody
      expect(body.messages).toEqual([{
        role: "user",
        content: [
          { type: "text", text: "Describe this." },
          { type: "image_url", image_url: { url: `data:image/png;base64,${Buffer.from(png()).toString("base64")}` } }
        ]
      }])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect.each([
    [{ messages: [] }, "messages"],
    [{ maximumTokens: -1 }, "maximumTokens"],
    [{ n: 0 }, "n"],
    [{ temperature: -1 }, "temperature"],
    [{ topP: 1.01 }, "topP"],
    [{
      messages: [new Message({ role: "assistant", content: "", toolCalls: [{ id: "", function: { name: "f", arguments: "{}" } } as never] }, { disableValidation: true })]
    }, "messages.0.tool_calls.0.id"] // an instance built unchecked: its encoding names the wire field
  ] as const)("bad input %j is a ValidationError at %s before anything is sent", ([fields, path]) =>
    Effect.gen(function*() {
      const client = yield* Client
      const request = new ChatRequest({ model, messages: [user("hi")], ...fields } as never, { disableValidation: true })
      const error = yield* Effect.flip(client.chat(request))
      expect(error).toMatchObject({ _tag: "ValidationError", path })
      const streamError = yield* Effect.flip(Stream.runDrain(client.chatWithStreaming(request)))
      expect(streamError).toMatchObject({ _tag: "ValidationError", path })
      expect(yield* Effect.flatMap(FakeServer.FakeServer, (server) => server.requests)).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("without a model in the argument or the request the call is a ValidationError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const error = yield* Effect.flip(client.chat(new ChatRequest({ messages: [user("hi")] })))
      expect(error).toMatchObject({ _tag: "ValidationError", path: "model" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a 400 MISSING_CAPABILITY is a BadRequestError carrying the code", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const server = yield* FakeServer.FakeServer
      yield* server.script(Fault.Status({ status: 400, body: { error: "Model cannot chat", code: "MISSING_CAPABILITY" } }))
      const error = yield* Effect.flip(client.chat(new ChatRequest({ model, messages: [user("hi")] })))
      expect(error).toMatchObject({ _tag: "BadRequestError", code: "MISSING_CAPABILITY", error: "Model cannot chat" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})

class Fish extends Schema.Class<Fish>("Fish")({
  name: Schema.String,
  species: Schema.String,
  sizeCm: Schema.Number.pipe(Schema.between(1, 100))
}) {}

describe("structured output", () => {
  it.effect("JSONSchema.fromSchema inlines the root $ref, keeps $defs and drops $schema", () =>
    Effect.gen(function*() {
      const format = yield* JSONSchema.fromSchema(Fish)
      expect(format.name).toBe("Fish")
      expect(format.strict).toBe(true)
      expect(format.schema.$schema).toBeUndefined()
      expect(format.schema.$ref).toBeUndefined()
      expect(format.schema).toMatchObject({ type: "object", required: ["name", "species", "sizeCm"] })
    }))

  it.effect("with strict, an optional field is a ValidationError; without strict it is allowed", () =>
    Effect.gen(function*() {
      const Loose = Schema.Struct({ a: Schema.String, b: Schema.optional(Schema.String) })
      const error = yield* Effect.flip(JSONSchema.fromSchema(Loose, { name: "loose" }))
      expect(error).toMatchObject({ _tag: "ValidationError", path: "schema.b" })
      const relaxed = yield* JSONSchema.fromSchema(Loose, { name: "loose", strict: false })
      expect(relaxed.strict).toBe(false)
    }))

  it.effect("a schema JSON Schema cannot express is a ValidationError, not a throw", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(JSONSchema.fromSchema(Schema.BigIntFromSelf, { name: "big" }))
      expect(error._tag).toBe("ValidationError")
    }))

  it.effect("chatStructured returns the decoded, typed value and sends the response format", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const fish: Fish = yield* client.chatStructured(
        new ChatRequest({ model, messages: [user("Describe Nemo as JSON")] }),
        Fish
      )
      expect(fish).toBeInstanceOf(Fish)
      expect(fish.sizeCm).toBeGreaterThanOrEqual(1)
      expect(yield* lastBody).toMatchObject({
        response_format: { type: "json_schema", json_schema: { name: "Fish", strict: true } }
      })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a leading <think> block is skipped; content that does not match is a StructuredOutputError with the raw content", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const server = yield* FakeServer.FakeServer
      const answer = (content: string) =>
        Fault.Status({
          status: 200,
          body: {
            id: "x",
            choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }],
            usage: null
          }
        })
      const request = new ChatRequest({ model, messages: [user("Nemo?")] })
      yield* server.script(answer("<think>\nhmm\n</think>\n\n{\"name\":\"Nemo\",\"species\":\"Clownfish\",\"sizeCm\":8}"))
      expect((yield* client.chatStructured(request, Fish)).name).toBe("Nemo")
      yield* server.script(answer("{\"name\":\"Nemo\"}"))
      const mismatch = yield* Effect.flip(client.chatStructured(request, Fish))
      expect(mismatch).toMatchObject({ _tag: "StructuredOutputError", content: "{\"name\":\"Nemo\"}" })
      yield* server.script(answer("not json"))
      expect(yield* Effect.flip(client.chatStructured(request, Fish))).toMatchObject({ _tag: "StructuredOutputError", content: "not json" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("a request that already sets responseFormat is a ValidationError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const responseFormat = yield* JSONSchema.fromSchema(Fish)
      const error = yield* Effect.flip(
        client.chatStructured(new ChatRequest({ model, messages: [user("x")], responseFormat }), Fish)
      )
      expect(error).toMatchObject({ _tag: "ValidationError", path: "responseFormat" })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})

describe("the lean chat answer decoder", () => {
  const viaClasses = Schema.decodeUnknownEither(ChatResponse)
  const viaWire = Schema.decodeUnknownEither(ChatResponseFromWire)
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null })
  const wireAnswer = fc.record({
    id: fc.string(),
    choices: fc.array(fc.record({
      index: fc.nat(),
      finish_reason: maybe(fc.constantFrom("stop", "length", "content_filter", "tool_calls")),
      message: fc.record({
        role: fc.constantFrom("assistant", "user", "system", "tool"),
        content: maybe(fc.string()),
        tool_calls: maybe(fc.array(fc.record({
          id: fc.string({ minLength: 1 }),
          type: fc.constant("function"),
          function: fc.record({ name: fc.string(), arguments: fc.string() })
        })))
      }, { requiredKeys: ["role"] }),
      logprobs: maybe(fc.record({
        content: maybe(fc.array(fc.record({
          token: fc.string(),
          logprob: fc.double({ noNaN: true }),
          top_logprobs: fc.array(fc.record({ token: fc.string(), logprob: fc.double({ noNaN: true }) }))
        })))
      }))
    }, { requiredKeys: ["finish_reason", "message"] }), { maxLength: 3 }),
    created: fc.integer(),
    model: fc.string(),
    system_fingerprint: maybe(fc.string()),
    usage: maybe(fc.record({ prompt_tokens: fc.integer(), completion_tokens: fc.integer(), total_tokens: fc.integer() }))
  }, { requiredKeys: ["choices"] })
  // valid answers, anything at all, and valid answers with one part replaced by anything
  const answers: fc.Arbitrary<unknown> = fc.oneof(
    wireAnswer,
    fc.anything(),
    fc.tuple(wireAnswer, fc.constantFrom("id", "choices", "usage", "created", "system_fingerprint"), fc.anything())
      .map(([answer, key, value]) => ({ ...answer, [key]: value })),
    fc.tuple(wireAnswer, fc.constantFrom("finish_reason", "message", "index", "logprobs"), fc.anything())
      .map(([answer, key, value]) => ({ ...answer, choices: answer.choices.map((choice) => ({ ...choice, [key]: value })) }))
  )

  it("decodes every answer exactly as ChatResponse's own schema does, and fails where it fails", () => {
    fc.assert(fc.property(answers, (answer) => {
      const expected = viaClasses(answer)
      const actual = viaWire(answer)
      expect(actual._tag).toBe(expected._tag)
      if (Either.isRight(expected) && Either.isRight(actual)) {
        expect(actual.right).toStrictEqual(expected.right)
        expect(Object.keys(actual.right)).toEqual(Object.keys(expected.right))
      }
    }), { numRuns: 500 })
  })

  it("decodes plain answers by hand to what the wire structs give, and anything else through them, errors included", () => {
    const viaDecoder = Schema.decodeUnknownEither(ChatResponseDecoder)
    // plain answers (no tool calls, no log-probabilities) are the hand-checked path
    const plain = wireAnswer.map((answer) => ({
      ...answer,
      choices: answer.choices.map(({ logprobs: _, message: { tool_calls: __, ...message }, ...choice }) => ({ ...choice, message }))
    }))
    const loose = fc.oneof(fc.anything(), fc.constant(undefined), fc.constant(null), fc.constant([]))
    const inputs: fc.Arbitrary<unknown> = fc.oneof(
      answers,
      plain,
      fc.tuple(plain, fc.constantFrom("id", "choices", "usage", "created", "model", "system_fingerprint"), loose)
        .map(([answer, key, value]) => ({ ...answer, [key]: value })),
      fc.tuple(plain, fc.constantFrom("finish_reason", "message", "index", "logprobs"), loose)
        .map(([answer, key, value]) => ({ ...answer, choices: answer.choices.map((choice) => ({ ...choice, [key]: value })) })),
      fc.tuple(plain, fc.constantFrom("role", "content", "tool_calls"), loose)
        .map(([answer, key, value]) => ({
          ...answer,
          choices: answer.choices.map((choice) => ({ ...choice, message: { ...choice.message, [key]: value } }))
        })),
      fc.tuple(plain, fc.constantFrom("prompt_tokens", "completion_tokens", "total_tokens"), loose)
        .map(([answer, key, value]) => ({ ...answer, usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3, [key]: value } }))
    )
    fc.assert(fc.property(inputs, (input) => {
      const expected = viaWire(input)
      const actual = viaDecoder(input)
      expect(actual._tag).toBe(expected._tag)
      if (Either.isRight(expected) && Either.isRight(actual)) {
        expect(actual.right).toStrictEqual(expected.right)
        expect(actual.right).toStrictEqual(Either.getOrThrow(viaClasses(input)))
        expect(Object.keys(actual.right)).toEqual(Object.keys(expected.right))
      }
      if (Either.isLeft(expected) && Either.isLeft(actual)) expect(String(actual.left)).toBe(String(expected.left))
    }), { numRuns: 2_000 })
  })

  it("fails on a wrong field where the class schema fails", () => {
    const good = {
      id: "x",
      choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "hi" }, logprobs: null }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 }
    }
    expect(Either.isRight(viaWire(good))).toBe(true)
    for (const bad of [
      { ...good, choices: [{ ...good.choices[0], finish_reason: "done" }] },
      { ...good, choices: [{ ...good.choices[0], message: { role: "robot", content: "hi" } }] },
      { ...good, usage: { prompt_tokens: 1.5, completion_tokens: 2, total_tokens: 3 } },
      { ...good, choices: undefined }
    ]) {
      expect(Either.isLeft(viaClasses(bad))).toBe(true)
      expect(Either.isLeft(viaWire(bad))).toBe(true)
    }
  })

  it("encodes back to what ChatResponse encodes", () => {
    fc.assert(fc.property(wireAnswer, (answer) => {
      const response = Schema.decodeUnknownSync(ChatResponse)(answer)
      expect(Schema.encodeSync(ChatResponseFromWire)(response)).toStrictEqual(Schema.encodeSync(ChatResponse)(response))
    }), { numRuns: 200 })
  })
})

describe("the chat chunk decoder", () => {
  const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: null })
  const loose = fc.oneof(fc.anything(), fc.constant(undefined), fc.constant(null))
  const chunk = fc.record({
    choices: maybe(fc.array(fc.record({
      index: fc.oneof(fc.nat(), fc.double(), loose),
      finish_reason: fc.oneof(maybe(fc.constantFrom("stop", "length", "content_filter", "tool_calls")), loose),
      delta: fc.oneof(
        maybe(fc.record({
          role: fc.oneof(maybe(fc.constantFrom("assistant", "user", "system", "tool")), loose),
          content: fc.oneof(maybe(fc.string()), loose),
          tool_calls: fc.oneof(fc.constant(null), fc.constant([{ index: 0, id: "call_1", function: { name: "f", arguments: "{}" } }]), loose)
        }, { requiredKeys: [] })),
        loose
      ),
      logprobs: fc.oneof(fc.constant(null), fc.constant({ content: [{ token: "a", logprob: -1, top_logprobs: [] }] }), loose)
    }, { requiredKeys: [] }), { maxLength: 3 })),
    usage: fc.oneof(
      maybe(fc.record({ prompt_tokens: fc.integer(), completion_tokens: fc.oneof(fc.integer(), fc.double()), total_tokens: fc.integer() })),
      loose
    )
  }, { requiredKeys: [] })

  const events = (decoded: Either.Either<unknown, unknown>) => {
    if (Either.isLeft(decoded)) return "failed"
    const out: Array<ChatStreamEvent> = []
    new ChatEventAssembler().push(decoded.right as never, out)
    return out
  }

  it("accepts and rejects what the chunk schema does, and yields the same events", () => {
    fc.assert(fc.property(fc.oneof(chunk, fc.anything()), (value) => {
      expect(events(decodeChatChunk(value))).toStrictEqual(events(decodeChatChunkWithSchema(value)))
    }), { numRuns: 2000 })
  })

  // texts as the API writes them, the same with their strings unescaped, with the template's
  // parts changed, and any other chunk or text
  const awkward = fc.stringOf(
    fc.oneof(
      fc.constantFrom("a", " ", "\"", "\\", "\n", "\u0000", "\u001f", "\u007f", "\u2028", "é", "😀", "\ud800", "}", ",", ":"),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 })
    ),
    { maxLength: 12 }
  )
  const text = fc.oneof({ arbitrary: fc.string({ maxLength: 12 }), weight: 3 }, { arbitrary: awkward, weight: 1 })
  const integer = fc.oneof(fc.nat(), fc.constant(2 ** 53), fc.integer(), fc.double())
  const written = (
    { content, created, fingerprint, id, index, model }: {
      readonly id: string
      readonly index: number
      readonly content: string
      readonly created: number
      readonly model: string
      readonly fingerprint: string | null
    }
  ) =>
    JSON.stringify({
      id,
      choices: [{ finish_reason: null, index, delta: { content }, logprobs: null }],
      created,
      model,
      system_fingerprint: fingerprint,
      object: "chat.completion.chunk",
      usage: null
    })
  const asWritten = fc.record({
    id: text,
    index: integer,
    content: text,
    created: integer,
    model: text,
    fingerprint: fc.oneof(fc.constant(null), text)
  }).map(written)
  // as written with nothing JSON escapes: texts the reader must take, so the property is tested on reads
  const readable = fc.string({ unit: fc.constantFrom("a", " ", "'", "é", "😀", "1", "{", "]"), maxLength: 12 })
  const asWrittenPlainly = fc.record({
    id: readable,
    index: fc.nat(),
    content: fc.string({ unit: fc.constantFrom("a", " ", "'", "é", "😀", "1", "{", "]"), minLength: 1, maxLength: 12 }),
    created: fc.nat(),
    model: readable,
    fingerprint: fc.oneof(fc.constant(null), readable)
  }).map(written)
  const unescaped = fc.tuple(
    awkward,
    fc.oneof(fc.nat().map(String), fc.constantFrom("", "01", "00", "-1", "1e2", "1.5", "9007199254740993", "1234567890123456")),
    awkward,
    fc.oneof(fc.nat().map(String), fc.constantFrom("", "01", "-1", "1.5", "1234567890123456")),
    fc.oneof(fc.constant("null"), awkward.map((text) => `"${text}"`)),
    fc.constantFrom("}", "} ", ",\"x\":1}", "", "}}", "\"}")
  ).map(([id, index, content, created, fingerprint, tail]) =>
    `{"id":"${id}","choices":[{"finish_reason":null,"index":${index},"delta":{"content":"${content}"},"logprobs":null}],` +
    `"created":${created},"model":"m","system_fingerprint":${fingerprint},"object":"chat.completion.chunk","usage":null${tail}`
  )
  const anyText = fc.oneof(
    { arbitrary: asWritten, weight: 4 },
    { arbitrary: asWrittenPlainly, weight: 2 },
    { arbitrary: unescaped, weight: 2 },
    chunk.map((value) => JSON.stringify(value)),
    fc.string()
  )

  it("reads a content delta off its text only as JSON.parse, the decoder and the assembler would, leaving anything else to them", () => {
    let read = 0
    fc.assert(fc.property(anyText, (text) => {
      const fast = plainChatChunkFromData(text)
      if (fast === undefined) return
      read++
      expect([fast]).toStrictEqual(events(decodeChatChunk(JSON.parse(text))))
    }), { numRuns: 5000 })
    // the property held for texts it read, not only for texts it left alone
    expect(read).toBeGreaterThan(300)
  })

  it("reads the content deltas the API writes off their text", () => {
    for (const content of [" word", "naïve 😀 \u2028 '", "x".repeat(40)]) {
      const text = JSON.stringify({
        id: "76f82911-1a9f-46c5-b1a0-0d5490bc4972",
        choices: [{ finish_reason: null, index: 3, delta: { content }, logprobs: null }],
        created: 1754484240,
        model,
        system_fingerprint: null,
        object: "chat.completion.chunk",
        usage: null
      })
      const made = new ChatStreamChunk({ index: 3, content, role: undefined, logprobs: undefined })
      const read = plainChatChunkFromData(text)
      expect(read).toStrictEqual(made)
      expect(Equal.equals(read, made)).toBe(true)
      expect(Object.keys(read!)).toEqual(Object.keys(made))
    }
    // the role's first delta, escapes and the finish go through JSON.parse
    expect(plainChatChunkFromData(
      `{"id":"x","choices":[{"finish_reason":null,"index":0,"delta":{"content":"a\\"b"},"logprobs":null}],"created":1,"model":"m","system_fingerprint":null,"object":"chat.completion.chunk","usage":null}`
    )).toBeUndefined()
  })
})

describe("a plain ChatRequest's encoding, checked by hand", () => {
  const viaSchema = Schema.encodeEither(ChatRequest)
  const scalars = Struct.pick(
    ChatRequest.fields,
    "model",
    "maximumTokens",
    "temperature",
    "topP",
    "topK",
    "frequencyPenalty",
    "presencePenalty",
    "stop",
    "logprobs",
    "topLogprobs",
    "n"
  )
  const role = fc.constantFrom("system" as const, "user" as const, "assistant" as const, "tool" as const)
  const textMessage = fc.record({ role, content: fc.string() }).map((props) => new Message(props))
  const gif = "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
  // `Image` has no arbitrary of its own: image messages are built here
  const imageMessage = fc.record({ role, content: fc.constant([new Image({ base64: gif }), "and this"]) })
    .map((props) => new Message(props))
  // text messages and scalar options: what the hand-checked path takes
  const plain = fc.record({
    options: Arbitrary.make(Schema.Struct(scalars)),
    messages: fc.array(textMessage, { minLength: 1, maxLength: 3 })
  }).map(({ messages, options }) => new ChatRequest({ ...options, messages }))
  // values just past each option's bounds, and an array with a hole
  const edges = [-3, -2.5, -2, -0.5, -0, 0.5, 1, 1.5, 2, 2.5, 3, 20, 20.5, 21, 2 ** 53, NaN, Infinity]
  const loose = fc.oneof(
    fc.anything(),
    { arbitrary: fc.constantFrom(undefined, null, true, "", ...edges), weight: 6 },
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.constant(Object.assign(new Array<string>(2), { 0: "a" }))
  )
  // instances changed after they were checked, as untyped code can
  const changed = fc.oneof(
    fc.tuple(plain, fc.constantFrom(...Object.keys(scalars)), loose).map(([request, key, value]) =>
      Object.assign(request, { [key]: value })
    ),
    fc.tuple(plain, fc.constantFrom(...Object.keys(ChatRequest.fields)), loose).map(([request, key, value]) =>
      Object.assign(request, { [key]: value })
    ),
    fc.tuple(plain, fc.constantFrom("role", "content", "toolCalls", "toolCallId"), loose).map(([request, key, value]) => {
      Object.assign(request.messages[0]!, { [key]: value })
      return request
    }),
    fc.tuple(plain, loose).map(([request, value]) => Object.assign(request, { messages: [value, ...request.messages] }))
  )
  // every other field, image messages: what goes through the schema
  const any = fc.record({
    rest: Arbitrary.make(Schema.Struct(Struct.omit(ChatRequest.fields, "messages"))),
    messages: fc.array(fc.oneof(textMessage, imageMessage), { minLength: 1, maxLength: 3 })
  }).map(({ messages, rest }) => new ChatRequest({ ...rest, messages }))
  const requests = fc.oneof(plain, changed, any)

  it("takes plain requests", () => {
    fc.assert(fc.property(plain, (request) => {
      expect(encodePlainChatRequest(request)).toBeDefined()
    }), { numRuns: 300 })
  })

  it("gives exactly what the schema gives, key order included, and leaves to it whatever it cannot take", () => {
    fc.assert(fc.property(requests, (request) => {
      const expected = viaSchema(request)
      const lean = encodePlainChatRequest(request)
      if (lean !== undefined) {
        expect(Either.isRight(expected)).toBe(true)
        expect(JSON.stringify(lean)).toBe(JSON.stringify(Either.getOrThrow(expected)))
      }
      // what the transport encodes with: the same outcome either way
      const actual = encodeInput(ChatRequest, request, () => "ChatRequest")
      expect(actual._tag).toBe(expected._tag)
      if (Either.isRight(actual)) expect(JSON.stringify(actual.right)).toBe(JSON.stringify(Either.getOrThrow(expected)))
    }), { numRuns: 2_000 })
  })

  it("agrees with the schema on every option set to each value at and past its bounds", () => {
    const values = [undefined, null, true, "", "x", ["a"], Object.assign(new Array<string>(2), { 0: "a" }), ...edges]
    for (const key of [...Object.keys(scalars), "messages"]) {
      for (const value of values) {
        const request = Object.assign(new ChatRequest({ messages: [new Message({ role: "user", content: "hi" })] }), {
          [key]: value
        })
        const expected = viaSchema(request)
        const lean = encodePlainChatRequest(request)
        expect(lean === undefined || Either.isRight(expected), `${key}: ${String(value)}`).toBe(true)
        if (lean !== undefined) expect(JSON.stringify(lean)).toBe(JSON.stringify(Either.getOrThrow(expected)))
      }
    }
  })
})
