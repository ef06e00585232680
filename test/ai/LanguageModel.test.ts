import { AiError, Chat, LanguageModel, Model, Prompt, Tool, Toolkit } from "@effect/ai"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Option, Schema, Stream } from "effect"
import { AlephAlphaLanguageModel, getAlephAlphaError } from "../../src/ai/index.js"
import {
  ChatChoice,
  ChatFinish,
  ChatRequest,
  ChatResponse,
  ChatStreamChunk,
  Client,
  type ClientService,
  Message,
  Usage
} from "../../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../../src/testing/index.js"

const model = "llama-3.1-8b-instruct"

const requests = Effect.flatMap(FakeServer.FakeServer, (server) => server.requests)

const chatBodies = Effect.map(
  requests,
  (all) => all.filter((request) => request.path.endsWith("/chat/completions")).map((request) => request.body as Record<string, any>)
)

const lastChatBody = Effect.map(chatBodies, (bodies) => bodies[bodies.length - 1]!)

const fake = (options: AlephAlphaTest.Options = {}) =>
  AlephAlphaLanguageModel.layer({ model }).pipe(Layer.provideMerge(AlephAlphaTest.layer(options)))

const GetWeather = Tool.make("get_weather", {
  description: "The current weather of a city",
  parameters: { city: Schema.String },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number })
})

const GetTime = Tool.make("get_time", {
  description: "The current time",
  success: Schema.String
})

const Tools = Toolkit.make(GetWeather, GetTime)

const ToolHandlers = Tools.toLayer({
  get_weather: ({ city }) => Effect.succeed({ city, celsius: 21 }),
  get_time: () => Effect.succeed("12:00")
})

/** A 1×1 PNG. */
const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="

describe("AlephAlphaLanguageModel", () => {
  it.effect("generateText returns the model's answer with its finish reason and token usage", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateText({ prompt: "tell me about apples" })
      expect(yield* lastChatBody).toEqual({ model, messages: [{ role: "user", content: "tell me about apples" }] })
      expect(response.text).toBe("tell me about apples")
      expect(response.finishReason).toBe("stop")
      const client = yield* Client
      const direct = yield* client.chat(
        new ChatRequest({ messages: [new Message({ role: "user", content: "tell me about apples" })] }),
        model
      )
      expect(response.usage.inputTokens).toBe(direct.usage?.promptTokens)
      expect(response.usage.outputTokens).toBe(direct.usage?.completionTokens)
      expect(response.usage.totalTokens).toBe(direct.usage?.totalTokens)
      expect(response.usage.inputTokens).toBeGreaterThan(0)
      const metadata = response.content.find((part) => part.type === "response-metadata")
      expect(metadata?.modelId).toEqual(Option.some(model))
      expect(Option.isSome(metadata!.id)).toBe(true)
      expect(Option.isSome(metadata!.timestamp)).toBe(true)
    }).pipe(Effect.provide(fake())))

  it.effect("a length cut is the finish reason length", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateText({ prompt: "one two three four five" })
      expect(response.text).toBe("one two")
      expect(response.finishReason).toBe("length")
      expect((yield* lastChatBody).max_tokens).toBe(2)
    }).pipe(Effect.provide(
      AlephAlphaLanguageModel.layer({ model, config: { maximumTokens: 2 } }).pipe(Layer.provideMerge(AlephAlphaTest.layer()))
    )))

  it.effect("the config of the layer is sent, and withConfigOverride changes it for one call", () =>
    Effect.gen(function*() {
      yield* LanguageModel.generateText({ prompt: "hi" })
      expect(yield* lastChatBody).toMatchObject({ model, temperature: 0.2, top_p: 0.5, stop: ["\n"] })
      yield* LanguageModel.generateText({ prompt: "hi" }).pipe(
        AlephAlphaLanguageModel.withConfigOverride({ temperature: 0.9, model: "pharia-1-llm-7b-control" })
      )
      expect(yield* lastChatBody).toMatchObject({ model: "pharia-1-llm-7b-control", temperature: 0.9, top_p: 0.5 })
    }).pipe(Effect.provide(
      AlephAlphaLanguageModel.layer({ model, config: { temperature: 0.2, topP: 0.5, stop: ["\n"] } }).pipe(
        Layer.provideMerge(AlephAlphaTest.layer())
      )
    )))

  it.effect("every kind of prompt message reaches the API as the matching chat message", () =>
    Effect.gen(function*() {
      yield* LanguageModel.generateText({
        prompt: [
          { role: "system", content: "Be brief." },
          {
            role: "user",
            content: [
              { type: "text", text: "What is in this picture?" },
              { type: "file", mediaType: "image/png", data: Buffer.from(pngBase64, "base64") }
            ]
          },
          {
            role: "assistant",
            content: [
              { type: "reasoning", text: "Not sent back." },
              { type: "text", text: "Let me look it up." },
              { type: "tool-call", id: "call-1", name: "get_weather", params: { city: "Berlin" } }
            ]
          },
          {
            role: "tool",
            content: [{
              type: "tool-result",
              id: "call-1",
              name: "get_weather",
              isFailure: false,
              result: { celsius: 21 },
              providerExecuted: false
            }]
          },
          { role: "user", content: "And a plain string?" }
        ]
      })
      expect((yield* lastChatBody).messages).toEqual([
        { role: "system", content: "Be brief." },
        {
          role: "user",
          content: [
            { type: "text", text: "What is in this picture?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${pngBase64}` } }
          ]
        },
        {
          role: "assistant",
          content: "Let me look it up.",
          tool_calls: [{ id: "call-1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Berlin\"}" } }]
        },
        { role: "tool", content: "{\"celsius\":21}", tool_call_id: "call-1" },
        { role: "user", content: "And a plain string?" }
      ])
    }).pipe(Effect.provide(fake())))

  it.effect("streamText emits text deltas that add up to generateText's answer, then a finish with usage", () =>
    Effect.gen(function*() {
      const whole = yield* LanguageModel.generateText({ prompt: "stream these few words please" })
      const parts = Chunk.toArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "stream these few words please" })))
      expect(parts.map((part) => part.type)).toEqual([
        "response-metadata",
        "text-start",
        ...Array.from({ length: 5 }, () => "text-delta"),
        "text-end",
        "finish"
      ])
      const text = parts.flatMap((part) => part.type === "text-delta" ? [part.delta] : []).join("")
      expect(text).toBe(whole.text)
      const finish = parts.at(-1)
      expect(finish?.type === "finish" && finish.reason).toBe("stop")
      expect(finish?.type === "finish" && { ...finish.usage }).toEqual({ ...whole.usage })
      expect((yield* lastChatBody).stream_options).toEqual({ include_usage: true })
      expect((yield* lastChatBody).stream).toBe(true)
    }).pipe(Effect.provide(fake())))

  it.effect("generateObject sends the Effect Schema as a strict json_schema response format and decodes the answer", () =>
    Effect.gen(function*() {
      const Person = Schema.Struct({ name: Schema.String, age: Schema.Int, tags: Schema.Array(Schema.String) })
      const response = yield* LanguageModel.generateObject({ prompt: "Ada", schema: Person, objectName: "person" })
      expect(response.value).toEqual({ name: "Ada", age: 1, tags: ["Ada"] })
      expect((yield* lastChatBody).response_format).toEqual({
        type: "json_schema",
        json_schema: {
          name: "person",
          strict: true,
          schema: {
            type: "object",
            required: ["name", "age", "tags"],
            properties: {
              name: { type: "string" },
              age: { $ref: "#/$defs/Int" },
              tags: { type: "array", items: { type: "string" } }
            },
            additionalProperties: false,
            $defs: { Int: { type: "integer", description: "an integer", title: "int" } }
          }
        }
      })
    }).pipe(Effect.provide(fake())))

  it.effect("generateObject with optional fields asks for a non-strict schema; strictJsonSchema: true refuses it", () =>
    Effect.gen(function*() {
      class Contact extends Schema.Class<Contact>("Contact")({
        name: Schema.String,
        email: Schema.optional(Schema.String)
      }) {}
      const response = yield* LanguageModel.generateObject({ prompt: "Grace", schema: Contact })
      expect(response.value).toBeInstanceOf(Contact)
      expect(response.value.name).toBe("Grace")
      const format = (yield* lastChatBody).response_format
      expect(format.json_schema.name).toBe("Contact")
      expect(format.json_schema.strict).toBe(false)

      const refused = yield* LanguageModel.generateObject({ prompt: "Grace", schema: Contact }).pipe(
        AlephAlphaLanguageModel.withConfigOverride({ strictJsonSchema: true }),
        Effect.flip
      )
      expect(refused._tag).toBe("MalformedInput")
      expect(Option.getOrThrow(getAlephAlphaError(refused))._tag).toBe("ValidationError")
    }).pipe(Effect.provide(fake())))

  it.effect("a toolkit round trip: the call is handled, its result goes back, the model answers", () =>
    Effect.gen(function*() {
      const first = yield* LanguageModel.generateText({ prompt: "What is the get_weather in Berlin?", toolkit: Tools })
      expect(first.finishReason).toBe("tool-calls")
      expect(first.toolCalls).toHaveLength(1)
      const call = first.toolCalls[0]!
      expect(call.name).toBe("get_weather")
      expect(call.params).toEqual({ city: "What is the get_weather in Berlin?" })
      expect(first.toolResults.map((result) => [result.id, result.name, result.result])).toEqual([
        [call.id, "get_weather", { city: "What is the get_weather in Berlin?", celsius: 21 }]
      ])
      const offered = (yield* lastChatBody)
      expect(offered.tool_choice).toBe("auto")
      expect(offered.tools).toEqual([
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "The current weather of a city",
            parameters: {
              type: "object",
              required: ["city"],
              properties: { city: { type: "string" } },
              additionalProperties: false
            }
          }
        },
        {
          type: "function",
          function: { name: "get_time", description: "The current time", parameters: expect.objectContaining({ type: "object" }) }
        }
      ])

      const prompt = Prompt.merge(Prompt.make("What is the get_weather in Berlin?"), Prompt.fromResponseParts(first.content))
      const second = yield* LanguageModel.generateText({ prompt, toolkit: Tools })
      expect(second.finishReason).toBe("stop")
      expect(second.toolCalls).toHaveLength(0)
      expect(second.text).toBe("What is the get_weather in Berlin?")
      expect((yield* lastChatBody).messages.slice(1)).toEqual([
        {
          role: "assistant",
          content: "",
          tool_calls: [{
            id: call.id,
            type: "function",
            function: { name: "get_weather", arguments: JSON.stringify({ city: "What is the get_weather in Berlin?" }) }
          }]
        },
        {
          role: "tool",
          content: JSON.stringify({ city: "What is the get_weather in Berlin?", celsius: 21 }),
          tool_call_id: call.id
        }
      ])
    }).pipe(Effect.provide(ToolHandlers), Effect.provide(fake())))

  it.effect("a Chat keeps the tool round trip in its history", () =>
    Effect.gen(function*() {
      const chat = yield* Chat.empty
      const first = yield* chat.generateText({ prompt: "get_time please", toolkit: Tools })
      expect(first.toolResults.map((result) => result.result)).toEqual(["12:00"])
      const second = yield* chat.generateText({ prompt: [], toolkit: Tools })
      expect(second.finishReason).toBe("stop")
      const history = yield* chat.history
      expect(history.content.map((message) => message.role)).toEqual(["user", "assistant", "tool", "assistant"])
      expect((yield* lastChatBody).messages.at(-1)).toEqual({ role: "tool", content: "12:00", tool_call_id: first.toolCalls[0]!.id })
    }).pipe(Effect.provide(ToolHandlers), Effect.provide(fake())))

  it.effect("streamText with a toolkit emits the whole tool call, the handler's result, then the finish", () =>
    Effect.gen(function*() {
      const parts = Chunk.toArray(
        yield* Stream.runCollect(LanguageModel.streamText({ prompt: "Is it get_weather in Paris?", toolkit: Tools }))
      )
      expect(parts.map((part) => part.type)).toEqual(["response-metadata", "tool-call", "tool-result", "finish"])
      const call = parts[1]!
      const result = parts[2]!
      expect(call.type === "tool-call" && call.params).toEqual({ city: "Is it get_weather in Paris?" })
      expect(result.type === "tool-result" && result.result).toEqual({ city: "Is it get_weather in Paris?", celsius: 21 })
      const finish = parts[3]!
      expect(finish.type === "finish" && finish.reason).toBe("tool-calls")
      expect(finish.type === "finish" && finish.usage.outputTokens).toBeGreaterThan(0)
    }).pipe(Effect.provide(ToolHandlers), Effect.provide(fake())))

  it.effect("disableToolCallResolution returns the call without running a handler", () =>
    Effect.gen(function*() {
      const response = yield* LanguageModel.generateText({
        prompt: "get_time",
        toolkit: Tools,
        disableToolCallResolution: true
      })
      expect(response.toolCalls.map((call) => call.name)).toEqual(["get_time"])
      expect(response.toolResults).toEqual([])
    }).pipe(Effect.provide(ToolHandlers), Effect.provide(fake())))

  it.effect("toolChoice becomes the API's tool_choice; oneOf narrows the tools offered", () =>
    Effect.gen(function*() {
      const sent = (toolChoice: LanguageModel.ToolChoice<"get_weather" | "get_time">) =>
        Effect.zipRight(
          LanguageModel.generateText({ prompt: "hm", toolkit: Tools, toolChoice, disableToolCallResolution: true }),
          Effect.map(lastChatBody, (body) => [body.tool_choice, body.tools.map((tool: any) => tool.function.name)])
        )
      expect(yield* sent("none")).toEqual(["none", ["get_weather", "get_time"]])
      expect(yield* sent("required")).toEqual(["required", ["get_weather", "get_time"]])
      expect(yield* sent({ tool: "get_time" })).toEqual([
        { type: "function", function: { name: "get_time" } },
        ["get_weather", "get_time"]
      ])
      expect(yield* sent({ oneOf: ["get_time"] })).toEqual(["auto", ["get_time"]])
      expect(yield* sent({ mode: "required", oneOf: ["get_time"] })).toEqual(["required", ["get_time"]])
    }).pipe(Effect.provide(ToolHandlers), Effect.provide(fake())))

  describe("errors", () => {
    it.effect("an API error is an AiError HttpResponseError that keeps the Aleph Alpha error as its cause", () =>
      Effect.gen(function*() {
        const server = yield* FakeServer.FakeServer
        yield* server.script(Fault.Status({ status: 400, body: { error: "model cannot chat", code: "MISSING_CAPABILITY" } }))
        const error = yield* LanguageModel.generateText({ prompt: "hi" }).pipe(Effect.flip)
        expect(AiError.isAiError(error)).toBe(true)
        expect(error._tag).toBe("HttpResponseError")
        if (error._tag !== "HttpResponseError") return
        expect(error.response.status).toBe(400)
        expect(error.reason).toBe("StatusCode")
        expect(error.module).toBe("AlephAlphaLanguageModel")
        expect(error.method).toBe("generateText")
        expect(error.body).toBe(JSON.stringify({ error: "model cannot chat", code: "MISSING_CAPABILITY" }))
        const cause = Option.getOrThrow(getAlephAlphaError(error))
        expect(cause._tag).toBe("BadRequestError")
        expect(cause).toBe((error as { cause?: unknown }).cause)
        expect(cause._tag === "BadRequestError" && cause.code).toBe("MISSING_CAPABILITY")
      }).pipe(Effect.provide(fake())))

    it.effect("an unknown model is a 404 HttpResponseError", () =>
      Effect.gen(function*() {
        const error = yield* LanguageModel.generateText({ prompt: "hi" }).pipe(
          AlephAlphaLanguageModel.withConfigOverride({ model: "no-such-model" }),
          Effect.flip
        )
        expect(error._tag === "HttpResponseError" && error.response.status).toBe(404)
        expect(Option.map(getAlephAlphaError(error), (cause) => cause._tag)).toEqual(Option.some("NotFoundError"))
      }).pipe(Effect.provide(fake())))

    it.effect("a lost connection is an HttpRequestError with reason Transport", () =>
      Effect.gen(function*() {
        const server = yield* FakeServer.FakeServer
        yield* server.script(Fault.DropBeforeHeaders())
        const error = yield* LanguageModel.generateText({ prompt: "hi" }).pipe(Effect.flip)
        expect(error._tag).toBe("HttpRequestError")
        expect(error._tag === "HttpRequestError" && error.reason).toBe("Transport")
        expect(error._tag === "HttpRequestError" && error.request.url).toBe("chat/completions")
        expect(Option.map(getAlephAlphaError(error), (cause) => cause._tag)).toEqual(Option.some("TransportError"))
      }).pipe(Effect.provide(fake({ client: { totalRetries: 0 } }))))

    it.effect("a stream that fails fails streamText with the mapped error", () =>
      Effect.gen(function*() {
        const server = yield* FakeServer.FakeServer
        yield* server.script(Fault.Status({ status: 429, body: { error: "slow down", code: "TOO_MANY_REQUESTS" } }))
        const error = yield* Stream.runDrain(LanguageModel.streamText({ prompt: "hi" })).pipe(Effect.flip)
        expect(error._tag === "HttpResponseError" && error.response.status).toBe(429)
        expect(error._tag === "HttpResponseError" && error.method).toBe("streamText")
        expect(Option.map(getAlephAlphaError(error), (cause) => cause._tag)).toEqual(Option.some("RateLimitError"))
      }).pipe(Effect.provide(fake({ client: { totalRetries: 0 } }))))

    it.effect("input the API cannot take is a MalformedInput before anything is sent", () =>
      Effect.gen(function*() {
        const empty = yield* LanguageModel.generateText({ prompt: [] }).pipe(Effect.flip)
        expect(empty._tag).toBe("MalformedInput")
        expect(Option.map(getAlephAlphaError(empty), (cause) => cause._tag)).toEqual(Option.some("ValidationError"))

        const byUrl = yield* LanguageModel.generateText({
          prompt: [{
            role: "user",
            content: [{ type: "file", mediaType: "image/png", data: new URL("https://example.com/cat.png") }]
          }]
        }).pipe(Effect.flip)
        expect(byUrl._tag).toBe("MalformedInput")

        const pdf = yield* LanguageModel.generateText({
          prompt: [{ role: "user", content: [{ type: "file", mediaType: "application/pdf", data: new Uint8Array([1]) }] }]
        }).pipe(Effect.flip)
        expect(pdf._tag).toBe("MalformedInput")

        const BadNames = Toolkit.make(Tool.make("no spaces allowed"))
        const badTool = yield* LanguageModel.generateText({ prompt: "hi", toolkit: BadNames }).pipe(
          Effect.provide(BadNames.toLayer({ "no spaces allowed": () => Effect.void })),
          Effect.flip
        )
        expect(badTool._tag).toBe("MalformedInput")

        expect(yield* chatBodies).toEqual([])
      }).pipe(Effect.provide(fake())))
  })

  describe("reasoning", () => {
    const thinking = "<think>The user greets me.\nI greet back.</think>\n\nHello!"

    const usage = new Usage({ promptTokens: 3, completionTokens: 9, totalTokens: 12 })

    // a Client whose model thinks aloud, in deltas cut inside the tags
    const thinkingClient = Layer.succeed(Client, {
      chat: () =>
        Effect.succeed(
          new ChatResponse({
            choices: [
              new ChatChoice({
                index: 0,
                finishReason: "stop",
                message: new Message({ role: "assistant", content: thinking }),
                logprobs: null
              })
            ],
            usage
          })
        ),
      chatWithStreaming: () =>
        Stream.fromIterable([
          ...["<thi", "nk>The user greets me.\n", "I greet back.</th", "ink>\n", "\nHello", "!"].map((content, i) =>
            new ChatStreamChunk({ index: 0, content, role: i === 0 ? "assistant" : undefined, logprobs: undefined })
          ),
          new ChatFinish({ index: 0, finishReason: "stop" }),
          usage
        ])
    } as Partial<ClientService> as ClientService)

    const thinkingModel = AlephAlphaLanguageModel.layer({ model }).pipe(Layer.provide(thinkingClient))

    it.effect("a leading <think> block is reasoning, the rest is the text", () =>
      Effect.gen(function*() {
        const response = yield* LanguageModel.generateText({ prompt: "hello" })
        expect(response.reasoningText).toBe("The user greets me.\nI greet back.")
        expect(response.text).toBe("Hello!")
        expect(response.usage.totalTokens).toBe(12)

        const parts = Chunk.toArray(yield* Stream.runCollect(LanguageModel.streamText({ prompt: "hello" })))
        expect(parts.map((part) => part.type)).toEqual([
          "response-metadata",
          "reasoning-start",
          "reasoning-delta",
          "reasoning-delta",
          "reasoning-end",
          "text-start",
          "text-delta",
          "text-delta",
          "text-end",
          "finish"
        ])
        const reasoning = parts.flatMap((part) => part.type === "reasoning-delta" ? [part.delta] : []).join("")
        const text = parts.flatMap((part) => part.type === "text-delta" ? [part.delta] : []).join("")
        expect(reasoning).toBe(response.reasoningText)
        expect(text).toBe(response.text)
      }).pipe(Effect.provide(thinkingModel)))

    it.effect("generateObject reads the object after the reasoning", () =>
      Effect.gen(function*() {
        const response = yield* LanguageModel.generateObject({
          prompt: "hello",
          schema: Schema.Struct({ greeting: Schema.String })
        })
        expect(response.value).toEqual({ greeting: "hi" })
      }).pipe(Effect.provide(
        AlephAlphaLanguageModel.layer({ model }).pipe(Layer.provide(Layer.succeed(Client, {
          chat: () =>
            Effect.succeed(
              new ChatResponse({
                choices: [
                  new ChatChoice({
                    index: 0,
                    finishReason: "stop",
                    message: new Message({ role: "assistant", content: "<think>JSON it is.</think>{\"greeting\":\"hi\"}" }),
                    logprobs: null
                  })
                ]
              })
            )
        } as Partial<ClientService> as ClientService)))
      )))
  })

  it.effect("model(name) is an @effect/ai Model that names its provider", () =>
    Effect.gen(function*() {
      const provider = yield* Model.ProviderName
      expect(provider).toBe("aleph-alpha")
      const response = yield* LanguageModel.generateText({ prompt: "fine" })
      expect(response.text).toBe("fine")
    }).pipe(Effect.provide(AlephAlphaLanguageModel.model(model)), Effect.provide(AlephAlphaTest.layer())))
})
