import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema, Stream } from "effect"
import { expectTypeOf } from "vitest"
import {
  BatchSemanticEmbeddingRequest,
  ChatRequest,
  type ChatResponse,
  Client,
  CompletionRequest,
  type ClientService,
  ExplanationRequest,
  FunctionCall,
  Image,
  ImageControl,
  JSONSchema,
  Message,
  MessageToolCall,
  Prompt,
  SteeringConceptCreationRequest,
  StreamOptions,
  Text,
  TextControl,
  Tokens,
  Tool,
  ValidationError
} from "../src/index.js"
import type { AsyncClient } from "../src/promise/AsyncClient.js"
import { AlephAlphaTest, FakeServer, Fault } from "../src/testing/index.js"

const model = "llama-3.1-8b-instruct"

const requests = Effect.flatMap(FakeServer.FakeServer, (server) => server.requests)
const lastBody = Effect.map(requests, (all) => all[all.length - 1]!.body as Record<string, unknown>)

/** A 1×1 PNG's first bytes are enough for the MIME sniffing of chat images. */
const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

const weather = { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }
const toolCall = { id: "call-1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } } as const

/** The same history in the TypeScript shape and in the wire (OpenAI-style) shape. */
const typeSideHistory = [
  { role: "user", content: "Weather in Paris?" },
  { role: "assistant", content: null, toolCalls: [toolCall] },
  { role: "tool", content: "sunny", toolCallId: "call-1" }
] as const
const wireHistory = [
  { role: "user", content: "Weather in Paris?" },
  { role: "assistant", content: null, tool_calls: [toolCall] },
  { role: "tool", content: "sunny", tool_call_id: "call-1" }
] as const
const sentHistory = [
  { role: "user", content: "Weather in Paris?" },
  { role: "assistant", content: "", tool_calls: [toolCall] },
  { role: "tool", content: "sunny", tool_call_id: "call-1" }
]

describe("plain objects at the type level", () => {
  it("request fields that hold classes take plain shapes; what comes back stays the classes", () => {
    const request = new ChatRequest({
      messages: [{ role: "user", content: "hi" }, ...typeSideHistory, ...wireHistory],
      tools: [{ function: weather }, { type: "function", function: { name: "f" } }, Tool.fn({ name: "g" })],
      streamOptions: { includeUsage: true },
      responseFormat: { name: "answer", schema: { type: "object" } }
    })
    expectTypeOf(request.messages).toEqualTypeOf<ReadonlyArray<Message>>()
    expectTypeOf(request.tools).toEqualTypeOf<ReadonlyArray<Tool> | undefined>()
    expectTypeOf(ChatRequest.make({ messages: [{ role: "user", content: "hi" }] })).toEqualTypeOf<
      Effect.Effect<ChatRequest, ValidationError>
    >()
    expectTypeOf<Parameters<ClientService["chat"]>[0]>().toEqualTypeOf<ChatRequest.Input>()
    expectTypeOf<Parameters<AsyncClient["chat"]>[0]>().toEqualTypeOf<ChatRequest.Input>()
    expectTypeOf<ReturnType<AsyncClient["chat"]>>().toEqualTypeOf<Promise<ChatResponse>>()
    expectTypeOf<Parameters<ClientService["complete"]>[0]>().toEqualTypeOf<CompletionRequest.Input>()
    expectTypeOf<ChatRequest>().toMatchTypeOf<ChatRequest.Input>()

    const wire: ChatRequest.Input = {
      messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image", base64: pngBase64 }] }],
      responseFormat: { type: "json_schema", json_schema: { name: "answer", schema: {}, description: null } },
      streamOptions: { include_usage: true }
    }
    const completion: CompletionRequest.Input = {
      prompt: [
        { type: "text", text: "a", controls: [{ start: 0, length: 1, factor: 2 }] },
        { type: "text", data: "b", controls: [{ start: 0, length: 1, factor: 2, token_overlap: "complete" }] },
        { type: "image", base64: pngBase64, cropping: { x: 0, y: 0, size: 1 }, controls: [{ left: 0, top: 0, width: 1, height: 1, factor: 2 }] },
        { type: "image", data: pngBase64, x: 0, y: 0, size: 1, controls: [{ rect: { left: 0, top: 0, width: 1, height: 1 }, factor: 2 }] },
        { type: "token_ids", tokens: [1, 2] },
        { type: "token_ids", data: [3] }
      ]
    }
    const other = [
      new Prompt([{ type: "text", text: "a" }]),
      new BatchSemanticEmbeddingRequest({ prompts: ["a", [{ type: "text", text: "b" }]], representation: "symmetric" }),
      new SteeringConceptCreationRequest({ examples: [{ negative: "a", positive: "b" }] }),
      new ExplanationRequest({ prompt: "a", target: "b", promptGranularity: { type: "custom", delimiter: "#" } }),
      new MessageToolCall({ id: "c", function: { name: "f", arguments: "{}" } })
    ]
    expect([wire, completion, other]).toBeDefined()

    // only typechecked: each would throw
    const rejected = () => {
      // @ts-expect-error: content null only on an assistant message that calls tools
      void new Message({ role: "user", content: null })
      // @ts-expect-error: an assistant message with content null needs its tool calls
      void new Message({ role: "assistant", content: null })
      // @ts-expect-error: one name per field, not both
      void new Message({ role: "tool", content: "x", toolCallId: "a", tool_call_id: "a" })
      // @ts-expect-error: a role the API does not know
      void new ChatRequest({ messages: [{ role: "robot", content: "hi" }] })
      // @ts-expect-error: the request itself is in the TypeScript shape (maximumTokens)
      void new ChatRequest({ messages: [], max_tokens: 3 })
      // @ts-expect-error: a prompt item needs its type
      void new Prompt([{ text: "a" }])
      // @ts-expect-error: a control's rectangle is flat or in rect, not both
      void new ImageControl({ rect: { left: 0, top: 0, width: 1, height: 1 }, left: 0, factor: 1 })
    }
    expect(rejected).toBeTypeOf("function")
  })
})

describe("plain objects at run time", () => {
  it.effect("chat sends a plain request, history written either way, as it sends the classes", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const tools = [{ function: weather }]
      yield* client.chat({ messages: typeSideHistory, tools }, model)
      const typeSide = yield* lastBody
      yield* client.chat({ messages: wireHistory, tools }, model)
      const wire = yield* lastBody
      yield* client.chat(
        new ChatRequest({
          messages: [
            new Message({ role: "user", content: "Weather in Paris?" }),
            new Message({
              role: "assistant",
              content: "",
              toolCalls: [new MessageToolCall({ id: "call-1", function: new FunctionCall(toolCall.function) })]
            }),
            new Message({ role: "tool", content: "sunny", toolCallId: "call-1" })
          ],
          tools: [Tool.fn(weather)]
        }),
        model
      )
      const classes = yield* lastBody
      expect(typeSide).toEqual({ model, messages: sentHistory, tools: [{ type: "function", function: weather }] })
      expect(wire).toEqual(typeSide)
      expect(classes).toEqual(typeSide)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("new, make and the streaming method build the same instances from plain objects", () =>
    Effect.gen(function*() {
      const fields = {
        model,
        messages: [
          { role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image", base64: pngBase64 }] },
          { role: "user", content: ["and this?", { type: "image_url", image_url: { url: `data:image/png;base64,${pngBase64}` } }] }
        ],
        streamOptions: { include_usage: true },
        responseFormat: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, description: null } }
      } as const
      const built = new ChatRequest(fields)
      expect(built.messages[0]).toBeInstanceOf(Message)
      expect(built.messages[0]!.content).toEqual(["What is this?", new Image({ base64: pngBase64 })])
      expect(built.messages[1]!.content[1]).toBeInstanceOf(Image)
      expect(built.streamOptions).toEqual(new StreamOptions({ includeUsage: true }))
      expect(built.responseFormat).toEqual(new JSONSchema({ name: "answer", schema: { type: "object" } }))
      expect(yield* ChatRequest.make(fields)).toEqual(built)

      const client = yield* Client
      yield* Stream.runDrain(client.chatWithStreaming(fields))
      const streamed = yield* lastBody
      yield* client.chat(built)
      const { stream: _, ...sent } = streamed
      expect(sent).toEqual(yield* lastBody)
      expect(sent.response_format).toEqual({ type: "json_schema", json_schema: { name: "answer", schema: { type: "object" }, strict: false } })
      expect(sent.stream_options).toEqual({ include_usage: true })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("prompt items and controls are accepted plain, in either shape, by requests and Prompt", () =>
    Effect.gen(function*() {
      const typeSide = new Prompt([
        { type: "text", text: "a", controls: [{ start: 0, length: 1, factor: 2, tokenOverlap: "complete" }] },
        { type: "image", base64: pngBase64, cropping: { x: 0, y: 0, size: 1 }, controls: [{ left: 0, top: 0, width: 1, height: 1, factor: 0.5 }] },
        { type: "token_ids", tokens: [1, 2], controls: [{ index: 0, factor: 3 }] }
      ])
      const wire = new Prompt([
        { type: "text", data: "a", controls: [{ start: 0, length: 1, factor: 2, token_overlap: "complete" }] },
        { type: "image", data: pngBase64, x: 0, y: 0, size: 1, controls: [{ rect: { left: 0, top: 0, width: 1, height: 1 }, factor: 0.5 }] },
        { type: "token_ids", data: [1, 2], controls: [{ index: 0, factor: 3 }] }
      ])
      const classes = new Prompt([
        new Text({ text: "a", controls: [new TextControl({ start: 0, length: 1, factor: 2, tokenOverlap: "complete" })] }),
        new Image({ base64: pngBase64, cropping: { x: 0, y: 0, size: 1 }, controls: [new ImageControl({ left: 0, top: 0, width: 1, height: 1, factor: 0.5 })] }),
        new Tokens({ tokens: [1, 2], controls: [{ index: 0, factor: 3 }] })
      ])
      expect(typeSide).toEqual(classes)
      expect(wire).toEqual(classes)
      expect(yield* Prompt.make([{ type: "text", text: "a" }])).toEqual(Prompt.fromText("a"))
      expect(Prompt.fromText("a", [{ start: 0, length: 1, factor: 2, token_overlap: "complete" }])).toEqual(new Prompt([classes.items[0]!]))

      const client = yield* Client
      yield* client.complete({ prompt: wire.items.map((item) => item) }, "luminous-base")
      const sent = yield* lastBody
      yield* client.complete(new CompletionRequest({ prompt: classes }), "luminous-base")
      expect(sent).toEqual(yield* lastBody)
      expect(sent.prompt).toEqual(JSON.parse(JSON.stringify(classes)))
      yield* client.complete({ prompt: "An apple a day" }, "luminous-base")
      expect((yield* lastBody).prompt).toEqual([{ type: "text", data: "An apple a day", controls: [] }])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect.each([
    [{ messages: [{ role: "user", content: null }] }, "messages.0.content", /only on an assistant message with tool calls/],
    [{ messages: [{ role: "assistant", content: null, toolCalls: [] }] }, "messages.0.content", /only on an assistant/],
    [{ messages: [{ role: "user", content: "a" }, { role: "robot", content: "b" }] }, "messages.1.role", /robot/],
    [{ messages: [{ role: "tool", content: "a", toolCallId: "x", tool_call_id: "x" }] }, "messages.0.tool_call_id", /not both/],
    [{ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "", function: { name: "f", arguments: "" } }] }] }, "messages.0.toolCalls.0.id", /non empty/],
    [{ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://x" } }] }] }, "messages.0.content.0", /data URL/],
    [{ messages: [{ role: "user", content: [{ type: "text", text: 1 }] }] }, "messages.0.content.0.text", /string/],
    [{ messages: [{ role: "user", content: "a" }], tools: [{ function: { name: "bad name" } }] }, "tools.0.function.name", /pattern|Expected/],
    [{ messages: [{ role: "user", content: "a" }], responseFormat: { type: "text", json_schema: {} } }, "responseFormat.type", /json_schema/],
    [{ messages: [{ role: "user", content: "a" }], streamOptions: { include_usage: "yes" } }, "streamOptions.includeUsage", /boolean/]
  ] as const)("bad plain chat input %j is a ValidationError at %s from new, make and the methods, before any request", ([fields, path, issue]) =>
    Effect.gen(function*() {
      const input = { model, ...fields } as never
      expect(() => new ChatRequest(input)).toThrow()
      const made = yield* Effect.flip(ChatRequest.make(input))
      expect(made).toMatchObject({ _tag: "ValidationError", path, subject: "ChatRequest" })
      expect(made.issue).toMatch(issue)
      const client = yield* Client
      expect(yield* Effect.flip(client.chat(input))).toEqual(made)
      expect(yield* Effect.flip(Stream.runDrain(client.chatWithStreaming(input)))).toEqual(made)
      expect(yield* requests).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect.each([
    [{ prompt: [{ type: "image", data: "x", x: 1 }] }, "prompt.0.size", /all of x, y and size/],
    [{ prompt: [{ type: "text", text: "a", controls: [{ start: -1, length: 1, factor: 1 }] }] }, "prompt.0.controls.0.start", /non-negative/],
    [{ prompt: [{ type: "image", base64: "x", controls: [{ rect: { left: 2, top: 0, width: 1, height: 1 }, factor: 1 }] }] }, "prompt.0.controls.0.left", /between/],
    [{ prompt: [{ type: "text", text: "a", data: "a" }] }, "prompt.0.data", /not both/],
    [{ prompt: [{ type: "audio", data: "a" }] }, "prompt.0.type", /audio/]
  ] as const)("bad plain prompt %j is a ValidationError at %s before any request", ([fields, path, issue]) =>
    Effect.gen(function*() {
      const made = yield* Effect.flip(CompletionRequest.make(fields as never))
      expect(made).toMatchObject({ _tag: "ValidationError", path, subject: "CompletionRequest" })
      expect(made.issue).toMatch(issue)
      const client = yield* Client
      expect(yield* Effect.flip(client.complete(fields as never, "luminous-base"))).toEqual(made)
      expect(yield* requests).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("an answer whose tool-call message has content null decodes, and goes back into the history as it is", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.FakeServer
      yield* server.script(Fault.Status({
        status: 200,
        body: {
          id: "chat-1",
          choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [toolCall] } }]
        },
        headers: { "content-type": "application/json" }
      }))
      const client = yield* Client
      const answer = yield* client.chat({ messages: [typeSideHistory[0]], tools: [{ function: weather }] }, model)
      expect(answer.message.content).toBe("")
      expect(answer.choices[0]!.toolCalls).toEqual([new MessageToolCall(toolCall)])
      yield* client.chat({ messages: [typeSideHistory[0], answer.message, typeSideHistory[2]] }, model)
      expect((yield* lastBody).messages).toEqual(sentHistory)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("chatStructured takes a plain request and checks it before any request", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const Answer = Schema.Struct({ city: Schema.String })
      const bad = yield* Effect.flip(client.chatStructured({ messages: [{ role: "user", content: null }] } as never, Answer, model))
      expect(bad).toMatchObject({ _tag: "ValidationError", path: "messages.0.content" })
      expect(yield* requests).toEqual([])
      yield* Effect.either(client.chatStructured({ messages: [{ role: "user", content: "Paris?" }] }, Answer, model))
      const sent = yield* lastBody
      expect(sent.messages).toEqual([{ role: "user", content: "Paris?" }])
      expect(sent.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "response" } })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})
