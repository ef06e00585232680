import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer, ManagedRuntime, Ref, Schema, Stream } from "effect"
import { afterAll, beforeAll, expectTypeOf } from "vitest"
import {
  AsyncClient,
  ChatRequest,
  ChatTool,
  type ChatWithToolsEvent,
  Client,
  MaxRoundsExceededError,
  Message,
  ToolResult,
  ToolResultError,
  type ToolLoopError,
  ValidationError
} from "../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../src/testing/index.js"
import { Loopback } from "../src/testing/node/index.js"

const model = "llama-3.1-8b-instruct"

const getWeather = ChatTool.make({
  name: "get_weather",
  description: "The current weather in a city",
  parameters: Schema.Struct({ city: Schema.String, unit: Schema.Literal("celsius", "fahrenheit") }),
  success: Schema.Struct({ temperature: Schema.Number, at: Schema.Date })
})

const getTime = ChatTool.make({
  name: "get_time",
  parameters: Schema.Struct({ zone: Schema.String })
})

class WeatherDown extends Schema.TaggedError<WeatherDown>()("WeatherDown", { city: Schema.String }) {}

const ask = (content: string, fields: Partial<ConstructorParameters<typeof ChatRequest>[0]> = {}) =>
  new ChatRequest({ model, messages: [new Message({ role: "user", content })], ...fields })

const bodies = Effect.flatMap(FakeServer.FakeServer, (server) =>
  Effect.map(server.requests, (requests) => requests.map((request) => request.body as Record<string, any>)))

const noon = new Date("2026-12-02T12:00:00.000Z")

const TestLayer = AlephAlphaTest.layer()

describe("chatWithTools", () => {
  it.effect("takes a plain request, and a bad plain message is a ValidationError before anything is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const options = {
        tools: [getTime],
        handlers: { get_time: () => Effect.succeed("noon") }
      }
      const result = yield* client.chatWithTools({ model, messages: [{ role: "user", content: "What time is it?" }] }, options)
      expect(result.messages[0]).toBeInstanceOf(Message)
      expect(result.messages.map((message) => message.role)).toEqual(["user", "assistant", "tool", "assistant"])
      const server = yield* FakeServer.FakeServer
      yield* server.reset
      const bad = { model, messages: [{ role: "user", content: 42 }] } as unknown as ChatRequest.Input
      const error = yield* Effect.flip(client.chatWithTools(bad, options))
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).path).toBe("messages.0.content")
      const stream = yield* Effect.flip(Stream.runDrain(client.chatWithToolsStreaming(bad, options)))
      expect((stream as ValidationError).path).toBe("messages.0.content")
      expect(yield* server.requests).toHaveLength(0)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("runs the tool the model calls with decoded arguments and returns the final answer and the conversation", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const seen: Array<{ readonly city: string; readonly unit: "celsius" | "fahrenheit" }> = []
      const result = yield* client.chatWithTools(ask("What is the weather in Paris?"), {
        tools: [getWeather],
        handlers: {
          get_weather: (params) => Effect.sync(() => (seen.push(params), { temperature: 21, at: noon }))
        }
      })
      expect(seen).toEqual([{ city: "What is the weather in Paris?", unit: "celsius" }])
      expect(result.rounds).toBe(2)
      expect(result.response.finishReason).toBe("stop")
      expect(result.messages.map((message) => message.role)).toEqual(["user", "assistant", "tool", "assistant"])
      expect(result.messages[1]!.toolCalls![0]!.function.name).toBe("get_weather")
      // the result went back through the success schema (the Date as its ISO string)
      expect(result.messages[2]).toMatchObject({
        toolCallId: result.messages[1]!.toolCalls![0]!.id,
        content: JSON.stringify({ temperature: 21, at: "2026-12-02T12:00:00.000Z" })
      })
      expect(result.messages[3]).toEqual(result.response.message)

      const [first, second] = yield* bodies
      // the parameters' JSON Schema, derived from the Effect schema
      expect(first!.tools).toEqual([{
        type: "function",
        function: {
          name: "get_weather",
          description: "The current weather in a city",
          parameters: {
            type: "object",
            properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
            required: ["city", "unit"],
            additionalProperties: false
          }
        }
      }])
      expect(second!.messages.at(-1)).toEqual({
        role: "tool",
        tool_call_id: "call-0-0",
        content: "{\"temperature\":21,\"at\":\"2026-12-02T12:00:00.000Z\"}"
      })
    }).pipe(Effect.provide(TestLayer)))

  it.live("runs the tools of one answer in parallel and sends their results back in call order", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const weatherStarted = yield* Deferred.make<void>()
      const timeStarted = yield* Deferred.make<void>()
      // each handler waits until the other one has started: done one after the other, they never end
      const result = yield* client.chatWithTools(ask("Call get_time and get_weather"), {
        tools: [getWeather, getTime],
        handlers: {
          get_weather: () =>
            Deferred.succeed(weatherStarted, undefined).pipe(
              Effect.zipRight(Deferred.await(timeStarted)),
              Effect.as({ temperature: 3, at: noon })
            ),
          get_time: ({ zone }) =>
            Deferred.succeed(timeStarted, undefined).pipe(Effect.zipRight(Deferred.await(weatherStarted)), Effect.as(`noon in ${zone}`))
        }
      }).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("the tools ran one after the other") }))
      const tools = result.messages.filter((message) => message.role === "tool")
      expect(tools.map((message) => message.toolCallId)).toEqual(["call-0-0", "call-0-0-1"])
      // a string result goes as it is
      expect(tools[1]!.content).toBe("noon in Call get_time and get_weather")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("feeds arguments that do not match the schema back to the model without running the handler", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const digits = ChatTool.make({
        name: "lookup_order",
        parameters: Schema.Struct({ orderId: Schema.String.pipe(Schema.pattern(/^\d+$/)) })
      })
      let ran = 0
      const result = yield* client.chatWithTools(ask("Where is my order?"), {
        tools: [digits],
        handlers: { lookup_order: () => Effect.sync(() => ran++) }
      })
      expect(ran).toBe(0)
      const tool = result.messages[2]!
      expect(tool.role).toBe("tool")
      expect(tool.text).toContain("The arguments of lookup_order do not match its parameters")
      expect(tool.text).toContain("orderId")
      expect(result.rounds).toBe(2)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("feeds arguments that are not JSON, and an unknown tool, back to the model", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const server = yield* FakeServer.FakeServer
      const call = (name: string, args: string) => ({
        status: 200,
        body: {
          id: "x",
          choices: [{
            index: 0,
            finish_reason: "tool_calls",
            message: { role: "assistant", content: null, tool_calls: [{ id: `id-${name}`, type: "function", function: { name, arguments: args } }] }
          }]
        }
      })
      yield* server.script(Fault.Status(call("get_time", "{\"zone\": ")), Fault.Status(call("get_stock", "{}")))
      const result = yield* client.chatWithTools(ask("What time is it?"), {
        tools: [getTime],
        handlers: { get_time: () => Effect.die("must not run") }
      })
      const tools = result.messages.filter((message) => message.role === "tool").map((message) => message.text)
      expect(tools[0]).toMatch(/^The arguments of get_time are not JSON/)
      expect(tools[1]).toBe("There is no tool named \"get_stock\"; the tools are get_time.")
      expect(result.rounds).toBe(3)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("fails with the handler's own typed error", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const call = client.chatWithTools(ask("Weather in Oslo?"), {
        tools: [getWeather],
        handlers: { get_weather: ({ city }) => Effect.fail(new WeatherDown({ city })) }
      })
      expectTypeOf<Effect.Effect.Error<typeof call>>().toEqualTypeOf<ToolLoopError | WeatherDown>()
      const error = yield* Effect.flip(call)
      expect(error).toBeInstanceOf(WeatherDown)
      expect(error).toMatchObject({ city: "Weather in Oslo?" })
      expect(yield* bodies).toHaveLength(1)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("fails with MaxRoundsExceededError when the model still calls tools in the last round, without running them", () =>
    Effect.gen(function*() {
      const client = yield* Client
      let ran = 0
      const handlers = { get_time: () => Effect.sync(() => ++ran) }
      const once = yield* Effect.flip(client.chatWithTools(ask("What time is it?"), { tools: [getTime], handlers, maxRounds: 1 }))
      expect(once).toBeInstanceOf(MaxRoundsExceededError)
      expect(once).toMatchObject({ maxRounds: 1, pendingTools: ["get_time"] })
      expect(ran).toBe(0)

      // a model that keeps calling: three answers with calls, three rounds, two of them run
      const server = yield* FakeServer.FakeServer
      yield* server.reset
      const calling = {
        id: "x",
        choices: [{
          index: 0,
          finish_reason: "tool_calls",
          message: { role: "assistant", content: "", tool_calls: [{ id: "c", type: "function", function: { name: "get_time", arguments: "{\"zone\":\"UTC\"}" } }] }
        }]
      }
      yield* server.script(Fault.Status({ status: 200, body: calling, times: 3 }))
      const error = yield* Effect.flip(client.chatWithTools(ask("What time is it?"), { tools: [getTime], handlers, maxRounds: 3 }))
      expect(error).toMatchObject({ _tag: "MaxRoundsExceededError", maxRounds: 3 })
      expect(error.message).toContain("after 3 rounds")
      expect(ran).toBe(2)
      expect(yield* bodies).toHaveLength(3)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("uses the request's toolChoice for the first round only", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const result = yield* client.chatWithTools(ask("Hello", { toolChoice: "required" }), {
        tools: [getTime],
        handlers: { get_time: () => Effect.succeed("noon") }
      })
      const [first, second] = yield* bodies
      expect(first!.tool_choice).toBe("required")
      expect(second!.tool_choice).toBeUndefined()
      expect(result.rounds).toBe(2)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("a result the success schema cannot encode is a ToolResultError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const error = yield* Effect.flip(client.chatWithTools(ask("Weather?"), {
        tools: [getWeather],
        handlers: { get_weather: () => Effect.succeed({ temperature: 1, at: new Date(Number.NaN) }) }
      }))
      expect(error).toBeInstanceOf(ToolResultError)
      expect(error).toMatchObject({ tool: "get_weather" })
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const notJson = yield* Effect.flip(client.chatWithTools(ask("Time?"), {
        tools: [getTime],
        handlers: { get_time: () => Effect.succeed(cyclic) }
      }))
      expect(notJson).toMatchObject({ _tag: "ToolResultError", tool: "get_time" })
      expect(notJson.message).toContain("is not JSON")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("checks the tools, handlers and options before anything is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const handlers = { get_time: () => Effect.succeed("noon") }
      const failures: Array<readonly [Effect.Effect<unknown, unknown>, string]> = [
        [client.chatWithTools(ask("x", { tools: [] }), { tools: [getTime], handlers }), "tools"],
        [client.chatWithTools(ask("x", { n: 2 }), { tools: [getTime], handlers }), "n"],
        [client.chatWithTools(ask("x"), { tools: [getTime], handlers: {} as never }), "handlers.get_time"],
        [client.chatWithTools(ask("x"), { tools: [getTime], handlers, maxRounds: 0 }), "maxRounds"],
        [client.chatWithTools(ask("x"), { tools: [getTime], handlers, concurrency: 1.5 }), "concurrency"],
        [client.chatWithTools(ask("x"), { tools: [getTime, getTime], handlers }), "tools.1.name"],
        [
          client.chatWithTools(ask("x"), {
            tools: [ChatTool.make({ name: "bad name", parameters: Schema.Struct({}) })],
            handlers: { "bad name": () => Effect.void }
          }),
          "tools.0.name"
        ],
        [
          client.chatWithTools(ask("x"), {
            tools: [ChatTool.make({ name: "scalar", parameters: Schema.String })],
            handlers: { scalar: () => Effect.void }
          }),
          "tools.0.parameters"
        ],
        [
          client.chatWithTools(ask("x"), {
            tools: [ChatTool.make({ name: "strict", strict: true, parameters: Schema.Struct({ a: Schema.optional(Schema.String) }) })],
            handlers: { strict: () => Effect.void }
          }),
          "tools.0.parameters.a"
        ]
      ]
      for (const [call, path] of failures) {
        const error = yield* Effect.flip(call)
        expect(error, path).toBeInstanceOf(ValidationError)
        expect((error as ValidationError).path, path).toBe(path)
      }
      expect(yield* bodies).toHaveLength(0)
    }).pipe(Effect.provide(TestLayer)))
})

describe("chatWithToolsStreaming", () => {
  it.effect("emits the model's events of each round and a ToolResult per tool it ran", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const events = yield* client.chatWithToolsStreaming(ask("Weather and time: get_weather get_time"), {
        tools: [getWeather, getTime],
        handlers: {
          get_weather: () => Effect.succeed({ temperature: 21, at: noon }),
          get_time: () => Effect.succeed("noon")
        }
      }).pipe(Stream.runCollect)
      const tags = [...events].map((event) => event._tag)
      const firstFinish = tags.indexOf("ChatFinish")
      expect(tags.slice(0, firstFinish + 3)).toEqual(["ChatStreamChunk", "ToolCall", "ToolCall", "ChatFinish", "ToolResult", "ToolResult"])
      expect(tags.at(-1)).toBe("ChatFinish")
      const results = [...events].filter((event): event is ToolResult => event._tag === "ToolResult")
      expect(results.map((result) => [result.round, result.name, result.isFailure])).toEqual([
        [1, "get_weather", false],
        [1, "get_time", false]
      ])
      expect(results[0]!.result).toEqual({ temperature: 21, at: noon })
      expect(results[1]!.content).toBe("noon")
      const text = [...events].flatMap((event) => event._tag === "ChatStreamChunk" ? [event.content] : []).join("")
      expect(text).toContain("get_weather")
      // the second request carried the assistant's calls and both results
      const [, second] = yield* bodies
      expect(second!.messages.map((message: { role: string }) => message.role)).toEqual(["user", "assistant", "tool", "tool"])
      expect(second!.messages[1].tool_calls.map((call: any) => call.function.name)).toEqual(["get_weather", "get_time"])
    }).pipe(Effect.provide(TestLayer)))

  it.effect("marks a call the model got wrong as a failed ToolResult, and stops at maxRounds", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const digits = ChatTool.make({ name: "lookup_order", parameters: Schema.Struct({ orderId: Schema.NumberFromString }) })
      const events = yield* client.chatWithToolsStreaming(ask("order?"), {
        tools: [digits],
        handlers: { lookup_order: () => Effect.succeed("shipped") }
      }).pipe(Stream.runCollect)
      const result = [...events].find((event): event is ToolResult => event._tag === "ToolResult")!
      expect(result).toMatchObject({ isFailure: true, result: undefined, name: "lookup_order" })
      expect(result.content).toContain("do not match its parameters")

      const collected: Array<ChatWithToolsEvent> = []
      const exit = yield* client.chatWithToolsStreaming(ask("order?"), {
        tools: [digits],
        handlers: { lookup_order: () => Effect.succeed("shipped") },
        maxRounds: 1
      }).pipe(Stream.runForEach((event) => Effect.sync(() => collected.push(event))), Effect.exit)
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("MaxRoundsExceededError")
      // the events of the round came before the failure
      expect(collected.map((event) => event._tag)).toContain("ToolCall")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("fails with the handler's error after the events before it", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const seen = yield* Ref.make(0)
      const error = yield* client.chatWithToolsStreaming(ask("Weather in Rome"), {
        tools: [getWeather],
        handlers: { get_weather: ({ city }) => Effect.fail(new WeatherDown({ city })) }
      }).pipe(Stream.runForEach(() => Ref.update(seen, (n) => n + 1)), Effect.flip)
      expect(error).toBeInstanceOf(WeatherDown)
      expect(yield* Ref.get(seen)).toBeGreaterThan(0)
    }).pipe(Effect.provide(TestLayer)))
})

describe("AsyncClient tool loop", () => {
  const server = ManagedRuntime.make(Loopback.layer().pipe(Layer.provideMerge(FakeServer.layer())))
  let url = ""
  beforeAll(async () => {
    url = (await server.runPromise(Loopback.Loopback)).url
  })
  afterAll(() => server.dispose())

  it("runs async handlers, streamed or not, and rejects with what a handler threw", async () => {
    await using client = new AsyncClient({ token: "t", host: `${url}/v1`, totalRetries: 0 })
    const signals: Array<AbortSignal> = []
    const result = await client.chatWithTools(ask("What is the weather in Paris?"), {
      tools: [getWeather],
      handlers: {
        get_weather: async ({ city }, { signal }) => {
          signals.push(signal)
          return { temperature: city.length, at: noon }
        }
      }
    })
    expect(result.response.finishReason).toBe("stop")
    expect(result.messages[2]!.text).toBe(JSON.stringify({ temperature: 29, at: noon.toISOString() }))
    expect(signals[0]).toBeInstanceOf(AbortSignal)

    const tags: Array<string> = []
    for await (const event of client.chatWithToolsStreaming(ask("Time?"), { tools: [getTime], handlers: { get_time: () => "noon" } })) {
      tags.push(event._tag)
    }
    expect(tags).toContain("ToolResult")
    expect(tags.at(-1)).toBe("ChatFinish")

    const thrown = new RangeError("the weather service is down")
    await expect(client.chatWithTools(ask("Weather?"), {
      tools: [getWeather],
      handlers: {
        get_weather: async () => {
          throw thrown
        }
      }
    })).rejects.toBe(thrown)
    await expect(client.chatWithTools(ask("Weather?"), { tools: [getWeather], handlers: {} as never }))
      .rejects.toMatchObject({ _tag: "ValidationError", path: "handlers.get_weather" })
  })
})
