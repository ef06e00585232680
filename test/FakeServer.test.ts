import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as FakeServer from "../src/testing/FakeServer.js"
import * as Fault from "../src/testing/Fault.js"
import * as InMemory from "../src/testing/InMemory.js"
import { UndiciHttpClient } from "../src/node/index.js"
import { Loopback } from "../src/testing/node/index.js"

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const token = "test-token"

const post = (base: string, path: string, body: unknown, options: { readonly token?: string | undefined } = {}) =>
  HttpClientRequest.post(`${base}${path}`).pipe(
    options.token === "" ? (request) => request : HttpClientRequest.bearerToken(options.token ?? token),
    HttpClientRequest.bodyUnsafeJson(body)
  )

const get = (base: string, path: string) => HttpClientRequest.get(`${base}${path}`).pipe(HttpClientRequest.bearerToken(token))

/** A fake server, its in-memory transport and a platform `HttpClient` over it. */
const inMemory = (options?: FakeServer.Options) =>
  Effect.gen(function*() {
    const server = yield* FakeServer.make(options)
    const transport = yield* InMemory.make(server)
    const client = yield* Effect.provide(HttpClient.HttpClient, InMemory.layerClientFrom(transport))
    return { server, transport, client, base: `${InMemory.url}/v1` } as const
  })

const decoder = new TextDecoder()

/** Splits an SSE body into the payloads of its `data:` lines. */
const ssePayloads = (body: string): ReadonlyArray<string> =>
  body.split("\n\n").filter((frame) => frame !== "").map((frame) => {
    expect(frame.startsWith("data: ")).toBe(true)
    return frame.slice("data: ".length)
  })

/** Reads a body as decoded text pieces, keeping what arrived before a failure. */
const readPieces = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.gen(function*() {
    const pieces: Array<string> = []
    const result = yield* response.stream.pipe(
      Stream.runForEach((bytes) => Effect.sync(() => pieces.push(decoder.decode(bytes)))),
      Effect.either
    )
    return { text: pieces.join(""), result } as const
  })

/** Waits a real macrotask: lets promise-driven server work (body reads, handler forks) happen. */
const tick = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 1)))

/** Polls `effect` on real time until `predicate` holds (or fails the test after ~2 s). */
const eventually = <A>(effect: Effect.Effect<A>, predicate: (a: A) => boolean): Effect.Effect<A> =>
  Effect.gen(function*() {
    for (let i = 0; i < 400; i++) {
      const value = yield* effect
      if (predicate(value)) return value
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 5)))
    }
    return yield* Effect.dieMessage("condition not reached in time")
  })

const causeOf = (error: unknown): unknown => (error instanceof Error ? error.cause : undefined)

// ---------------------------------------------------------------------------------------------
// in memory
// ---------------------------------------------------------------------------------------------

describe("FakeServer in memory", () => {
  it.effect("answers complete with deterministic text honouring maximum_tokens", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/complete", {
        model: "luminous-base",
        prompt: [{ type: "text", data: "An apple a day" }],
        maximum_tokens: 6
      }))
      expect(response.status).toBe(200)
      expect(response.headers["content-type"]).toContain("application/json")
      expect(yield* response.json).toEqual({
        completions: [{ index: 0, completion: " An apple a day An apple", finish_reason: "maximum_tokens" }],
        model_version: "2022-04",
        num_tokens_prompt_total: 4,
        num_tokens_generated: 6
      })
    }))

  it.effect("echoes the prompt once and ends the text when there is no limit", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/complete", {
        model: "luminous-base",
        prompt: "Hello there",
        tokens: true,
        log_probs: 0
      }))
      const body = (yield* response.json) as any
      expect(body.completions[0]).toEqual({
        index: 0,
        completion: " Hello there",
        raw_completion: " Hello there",
        completion_tokens: [" Hello", " there"],
        log_probs: [{ " Hello": -0.5 }, { " there": -0.5 }],
        finish_reason: "end_of_text"
      })
    }))

  it.effect("streams complete as stream chunks, one summary per index and a completion summary", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/complete", {
        model: "luminous-base",
        prompt: "one two three",
        maximum_tokens: 3,
        stream: true
      }))
      expect(response.headers["content-type"]).toBe("text/event-stream")
      const text = yield* response.text
      expect(text.endsWith("\n\n")).toBe(true)
      const events = ssePayloads(text)
      expect(events).not.toContain("[DONE]")
      expect(events.map((event) => JSON.parse(event))).toEqual([
        { type: "stream_chunk", index: 0, completion: " one" },
        { type: "stream_chunk", index: 0, completion: " two" },
        { type: "stream_chunk", index: 0, completion: " three" },
        { type: "stream_summary", index: 0, model_version: "2022-04", finish_reason: "maximum_tokens" },
        { type: "completion_summary", num_tokens_prompt_total: 3, num_tokens_generated: 3 }
      ])
    }))

  it.effect("groups stream content into streamChunks chunks", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory({ streamChunks: 2 })
      const response = yield* client.execute(post(base, "/complete", {
        model: "luminous-base",
        prompt: "a b c d e",
        stream: true
      }))
      const chunks = ssePayloads(yield* response.text).map((event) => JSON.parse(event)).filter((event) =>
        event.type === "stream_chunk"
      )
      expect(chunks.map((chunk) => chunk.completion)).toEqual([" a b c", " d e"])
    }))

  it.effect("interleaves the indexes of complete streams when n is 2", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/complete", {
        model: "luminous-base",
        prompt: "x y",
        maximum_tokens: 2,
        n: 2,
        stream: true
      }))
      const events = ssePayloads(yield* response.text).map((event) => JSON.parse(event))
      expect(events.map((event) => [event.type, event.index, event.completion])).toEqual([
        ["stream_chunk", 0, " x"],
        ["stream_chunk", 1, " y"],
        ["stream_chunk", 0, " y"],
        ["stream_chunk", 1, " x"],
        ["stream_summary", 0, undefined],
        ["stream_summary", 1, undefined],
        ["completion_summary", undefined, undefined]
      ])
      expect(events.at(-1)).toEqual({ type: "completion_summary", num_tokens_prompt_total: 4, num_tokens_generated: 4 })
    }))

  it.effect("answers chat with an OpenAI-style completion derived from the last user message", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/chat/completions", {
        model: "llama-3.1-8b-instruct",
        messages: [
          { role: "system", content: "Be brief" },
          { role: "user", content: "Hello how are you" }
        ],
        max_tokens: 3
      }))
      expect(yield* response.json).toEqual({
        id: "chatcmpl-fake-0",
        choices: [{
          finish_reason: "length",
          index: 0,
          message: { role: "assistant", content: "Hello how are" },
          logprobs: null
        }],
        created: 0,
        model: "llama-3.1-8b-instruct",
        system_fingerprint: ".unknown.",
        object: "chat.completion",
        usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 }
      })
    }))

  it.effect("streams chat with a role chunk, content, a finish chunk, usage on request and [DONE]", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/chat/completions", {
        model: "llama-3.1-8b-instruct",
        messages: [{ role: "user", content: "Hi there" }],
        stream: true,
        stream_options: { include_usage: true }
      }))
      expect(response.headers["content-type"]).toBe("text/event-stream")
      const payloads = ssePayloads(yield* response.text)
      expect(payloads.at(-1)).toBe("[DONE]")
      const chunks = payloads.slice(0, -1).map((payload) => JSON.parse(payload))
      expect(chunks.every((chunk) => chunk.id === "chatcmpl-fake-0" && chunk.object === "chat.completion.chunk")).toBe(
        true
      )
      expect(chunks.map((chunk) => chunk.choices[0]?.delta)).toEqual([
        { role: "assistant", content: "" },
        { content: "Hi" },
        { content: " there" },
        {},
        undefined
      ])
      expect(chunks[3].choices[0].finish_reason).toBe("stop")
      expect(chunks[3].system_fingerprint).toBe(".unknown.")
      expect(chunks[4]).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })
      expect(chunks.slice(0, 4).every((chunk) => chunk.usage === null)).toBe(true)
    }))

  it.effect("leaves the usage chunk out when it was not asked for", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/chat/completions", {
        model: "llama-3.1-8b-instruct",
        messages: [{ role: "user", content: "Hi" }],
        stream: true
      }))
      const payloads = ssePayloads(yield* response.text)
      expect(payloads).toHaveLength(4)
      expect(payloads.slice(0, -1).every((payload) => JSON.parse(payload).choices.length === 1)).toBe(true)
    }))

  it.effect("interleaves chat choices when n is 2", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/chat/completions", {
        model: "llama-3.1-8b-instruct",
        messages: [{ role: "user", content: "red green" }],
        n: 2,
        stream: true
      }))
      const chunks = ssePayloads(yield* response.text).slice(0, -1).map((payload) => JSON.parse(payload))
      expect(chunks.map((chunk) => [chunk.choices[0].index, chunk.choices[0].delta.content])).toEqual([
        [0, ""],
        [1, ""],
        [0, "red"],
        [1, "green"],
        [0, " green"],
        [1, " red"],
        [0, undefined],
        [1, undefined]
      ])
    }))

  it.effect("streams a tool call as a named fragment followed by argument fragments", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/chat/completions", {
        model: "llama-3.1-8b-instruct",
        messages: [{ role: "user", content: "Paris" }],
        tools: [{
          type: "function",
          function: {
            name: "get_weather",
            parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] }
          }
        }],
        stream: true
      }))
      const chunks = ssePayloads(yield* response.text).slice(0, -1).map((payload) => JSON.parse(payload))
      const fragments = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? [])
      expect(fragments[0]).toEqual({ index: 0, id: "call-0-0", type: "function", function: { name: "get_weather" } })
      expect(fragments.slice(1).map((fragment: any) => fragment.function.arguments).join("")).toBe(
        "{\"location\":\"Paris\"}"
      )
      expect(chunks.at(-1).choices[0].finish_reason).toBe("tool_calls")
    }))

  it.effect("answers structured output with a document matching the schema", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/chat/completions", {
        model: "llama-3.1-8b-instruct",
        messages: [{ role: "user", content: "Nemo" }],
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "fish",
            schema: {
              type: "object",
              properties: { name: { type: "string" }, age: { type: "integer", minimum: 2 }, tags: { $ref: "#/$defs/Tags" } },
              $defs: { Tags: { type: "array", items: { enum: ["clown"] } } }
            }
          }
        }
      }))
      const body = (yield* response.json) as any
      expect(JSON.parse(body.choices[0].message.content)).toEqual({ name: "Nemo", age: 2, tags: ["clown"] })
    }))

  it.effect("lists the configured models and answers the version as text", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory({ models: ["luminous-base", { name: "my-model", image_support: true }] })
      const models = (yield* Effect.flatMap(client.execute(get(base, "/models_available")), (r) => r.json)) as any
      expect(models.map((model: any) => model.name)).toEqual(["luminous-base", "my-model"])
      expect(models[1]).toMatchObject({ image_support: true, max_context_size: 8192, embedding_types: [] })
      const version = yield* client.execute(get(base, "/version"))
      expect(version.headers["content-type"]).toContain("text/plain")
      expect(yield* version.text).toBe("1.19.0")
    }))

  it.effect("serves every route both at the root and under /v1", () =>
    Effect.gen(function*() {
      const { client } = yield* inMemory({ version: "1.20.3" })
      const atRoot = yield* client.execute(get(InMemory.url, "/version"))
      const underV1 = yield* client.execute(get(`${InMemory.url}/v1`, "/version"))
      expect([yield* atRoot.text, yield* underV1.text]).toEqual(["1.20.3", "1.20.3"])
    }))

  it.effect("answers 404 NOT_FOUND for an unknown path", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/nope", {}))
      expect(response.status).toBe(404)
      expect((yield* response.json as Effect.Effect<any, unknown>).code).toBe("NOT_FOUND")
    }))

  it.effect("answers 401 UNAUTHENTICATED without a bearer token", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const missing = yield* client.execute(post(base, "/complete", { model: "luminous-base", prompt: "x" }, { token: "" }))
      expect(missing.status).toBe(401)
      expect(yield* missing.json).toMatchObject({ code: "UNAUTHENTICATED" })
      const empty = yield* client.execute(
        HttpClientRequest.get(`${base}/version`).pipe(HttpClientRequest.setHeader("authorization", "Bearer "))
      )
      expect(empty.status).toBe(401)
    }))

  it.effect("answers 404 UNKNOWN_MODEL for a model it does not know", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(post(base, "/chat/completions", {
        model: "gpt-17",
        messages: [{ role: "user", content: "Hi" }]
      }))
      expect(response.status).toBe(404)
      expect(yield* response.json).toMatchObject({ code: "UNKNOWN_MODEL" })
    }))

  it.effect("records every request with lower-case headers, the query and the parsed body", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* client.execute(
        post(base, "/complete", { model: "luminous-base", prompt: "x" }).pipe(
          HttpClientRequest.setUrlParam("nice", "true"),
          HttpClientRequest.setHeader("User-Agent", "Aleph-Alpha-TS-Client-test")
        )
      )
      yield* client.execute(get(base, "/version"))
      const requests = yield* server.requests
      expect(requests).toHaveLength(2)
      expect(requests[0]).toMatchObject({
        method: "POST",
        path: "/v1/complete",
        query: { nice: "true" },
        body: { model: "luminous-base", prompt: "x" }
      })
      expect(requests[0]!.headers["authorization"]).toBe(`Bearer ${token}`)
      expect(requests[0]!.headers["user-agent"]).toBe("Aleph-Alpha-TS-Client-test")
      expect(requests[0]!.headers["content-type"]).toBe("application/json")
      expect(requests[1]).toMatchObject({ method: "GET", path: "/v1/version", query: {}, body: undefined })
      yield* server.reset
      expect(yield* server.requests).toEqual([])
    }))

  it.effect("answers a scripted Status fault with Retry-After, then answers normally", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* server.script(Fault.Status({ status: 503, retryAfter: "2", body: { error: "busy", code: "QUEUE_FULL" } }))
      const request = post(base, "/complete", { model: "luminous-base", prompt: "x" })
      const failed = yield* client.execute(request)
      expect(failed.status).toBe(503)
      expect(failed.headers["retry-after"]).toBe("2")
      expect(yield* failed.json).toEqual({ error: "busy", code: "QUEUE_FULL" })
      const ok = yield* client.execute(request)
      expect(ok.status).toBe(200)
    }))

  it.effect("repeats a fault for `times` requests and sends string bodies as text", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* server.script(
        { _tag: "Status", status: 429, body: "Too many requests", times: 2 },
        Fault.Status({ status: 500 })
      )
      const statuses: Array<number> = []
      for (let i = 0; i < 4; i++) {
        const response = yield* client.execute(get(base, "/version"))
        statuses.push(response.status)
        if (i === 0) {
          expect(response.headers["content-type"]).toContain("text/plain")
          expect(yield* response.text).toBe("Too many requests")
        }
      }
      expect(statuses).toEqual([429, 429, 500, 200])
    }))

  it.effect("keeps a fault aimed at a path for the first request to that path, letting others pass", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* server.script(Fault.Status({ status: 503, path: "chat/completions" }))
      const embed = yield* client.execute(post(base, "/semantic_embed", { model: "luminous-base", prompt: "x", representation: "symmetric" }))
      expect(embed.status).toBe(200)
      const version = yield* client.execute(get(base, "/version"))
      expect(version.status).toBe(200)
      const chat = post(base, "/chat/completions", { model: "llama-3.1-8b-instruct", messages: [] })
      expect((yield* client.execute(chat)).status).toBe(503)
      expect((yield* client.execute(chat)).status).toBe(200)
    }))

  it.effect("names a path with or without a leading / or /v1/, on either side, and a method in any case", () =>
    Effect.gen(function*() {
      const { client, server } = yield* inMemory()
      yield* server.script(
        Fault.Status({ status: 501, path: "/v1/version" }),
        Fault.Status({ status: 502, path: "version", method: "get" }),
        Fault.Status({ status: 503, path: "/version/", method: "POST" }),
        Fault.Status({ status: 504, method: "GET" })
      )
      const statuses: Array<number> = []
      for (const base of [InMemory.url, `${InMemory.url}/v1`, InMemory.url, `${InMemory.url}/v1`]) {
        statuses.push((yield* client.execute(get(base, "/version"))).status)
      }
      // the POST-only fault is never taken by a GET
      expect(statuses).toEqual([501, 502, 504, 200])
      expect((yield* client.execute(post(InMemory.url, "/version", {}))).status).toBe(503)
    }))

  it.effect("gives each request the first queued fault that applies to it, leaving the others in order", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* server.script(
        Fault.Status({ status: 429, path: "complete", times: 2 }),
        Fault.Status({ status: 500 }),
        Fault.Status({ status: 502 })
      )
      const complete = post(base, "/complete", { model: "luminous-base", prompt: "x" })
      const version = get(base, "/version")
      const statuses: Array<number> = []
      for (const request of [version, complete, version, complete, complete, version]) {
        statuses.push((yield* client.execute(request)).status)
      }
      expect(statuses).toEqual([500, 429, 502, 429, 200, 200])
      // a reset drops targeted faults too
      yield* server.script(Fault.Status({ status: 503, path: "complete" }))
      yield* server.reset
      expect((yield* client.execute(complete)).status).toBe(200)
    }))

  it.effect("fails the request with a transport RequestError on DropBeforeHeaders", () =>
    Effect.gen(function*() {
      const { client, base, server, transport } = yield* inMemory()
      yield* server.script(Fault.DropBeforeHeaders())
      const error = yield* Effect.flip(client.execute(post(base, "/complete", { model: "luminous-base", prompt: "x" })))
      expect(error._tag).toBe("RequestError")
      expect((error as HttpClientError.RequestError).reason).toBe("Transport")
      const cause = causeOf(error)
      expect(cause).toBeInstanceOf(TypeError)
      expect((cause as TypeError).message).toBe("fetch failed")
      expect(causeOf(cause)).toMatchObject({ code: "ECONNRESET" })
      expect(yield* eventually(transport.openConnections, (n) => n === 0)).toBe(0)
      // the next request is answered
      expect((yield* client.execute(get(base, "/version"))).status).toBe(200)
    }))

  it.effect("delivers the events before a DropMidStream, then fails reading the body", () =>
    Effect.gen(function*() {
      const { client, base, server, transport } = yield* inMemory()
      yield* server.script(Fault.DropMidStream({ afterEvents: 2 }))
      const response = yield* client.execute(post(base, "/chat/completions", {
        model: "llama-3.1-8b-instruct",
        messages: [{ role: "user", content: "one two three four" }],
        stream: true
      }))
      expect(response.status).toBe(200)
      const { result, text } = yield* readPieces(response)
      expect(ssePayloads(text).map((payload) => JSON.parse(payload).choices[0].delta)).toEqual([
        { role: "assistant", content: "" },
        { content: "one" }
      ])
      const error = Either.getLeft(result).pipe(Option.getOrThrow)
      expect(error._tag).toBe("ResponseError")
      expect(causeOf(error)).toMatchObject({ message: "terminated", cause: { code: "UND_ERR_SOCKET" } })
      expect(yield* eventually(transport.openConnections, (n) => n === 0)).toBe(0)
    }))

  it.effect("drops mid-stream even before the first event", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* server.script(Fault.DropMidStream({ afterEvents: 0 }))
      const response = yield* client.execute(post(base, "/complete", {
        model: "luminous-base",
        prompt: "x",
        stream: true
      }))
      expect(response.status).toBe(200)
      const { result, text } = yield* readPieces(response)
      expect(text).toBe("")
      expect(Either.isLeft(result)).toBe(true)
    }))

  it.effect("sends half a JSON body on DropMidBody, then fails reading it", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* server.script(Fault.DropMidBody())
      const response = yield* client.execute(post(base, "/complete", { model: "luminous-base", prompt: "x" }))
      expect(response.status).toBe(200)
      const { result, text } = yield* readPieces(response)
      expect(text.startsWith("{\"completions\"")).toBe(true)
      expect(Either.isLeft(result)).toBe(true)
      expect(Either.isLeft(yield* Effect.either(response.json))).toBe(true)
    }))

  it.effect("delays the answer by the scripted Latency on the TestClock", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* server.script(Fault.Latency({ duration: "1 second" }))
      const fiber = yield* Effect.fork(client.execute(get(base, "/version")))
      yield* eventually(server.requests, (requests) => requests.length === 1)
      yield* tick
      yield* TestClock.adjust("999 millis")
      yield* tick
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 millis")
      const response = yield* Fiber.join(fiber)
      expect(response.status).toBe(200)
    }))

  it.effect("applies the default latency to every request until it is changed", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory({ latency: Duration.seconds(5) })
      const slow = yield* Effect.fork(client.execute(get(base, "/version")))
      yield* eventually(server.requests, (requests) => requests.length === 1)
      yield* tick
      yield* TestClock.adjust("5 seconds")
      expect((yield* Fiber.join(slow)).status).toBe(200)
      yield* server.setLatency(undefined)
      expect((yield* client.execute(get(base, "/version"))).status).toBe(200)
    }))

  it.effect("never answers on StallHeaders, and the client's timeout cancels the handler", () =>
    Effect.gen(function*() {
      const { client, base, server, transport } = yield* inMemory()
      yield* server.script(Fault.StallHeaders())
      const fiber = yield* Effect.fork(Effect.timeout(client.execute(get(base, "/version")), "30 seconds"))
      yield* eventually(server.requests, (requests) => requests.length === 1)
      yield* TestClock.adjust("1 hour")
      const exit = yield* Fiber.await(fiber)
      expect(exit._tag).toBe("Failure")
      expect(String(exit)).toContain("TimeoutException")
      expect(yield* eventually(transport.openConnections, (n) => n === 0)).toBe(0)
    }))

  it.effect("sends part of a stream on StallStream, then nothing until the reader gives up", () =>
    Effect.gen(function*() {
      const { client, base, server, transport } = yield* inMemory()
      yield* server.script(Fault.StallStream({ afterEvents: 1 }))
      const response = yield* client.execute(post(base, "/complete", {
        model: "luminous-base",
        prompt: "a b c",
        stream: true
      }))
      const received: Array<string> = []
      const fiber = yield* response.stream.pipe(
        Stream.runForEach((bytes) => Effect.sync(() => received.push(decoder.decode(bytes)))),
        Effect.timeout("10 seconds"),
        Effect.fork
      )
      yield* eventually(Effect.sync(() => received.length), (n) => n === 1)
      expect(yield* transport.openConnections).toBe(1)
      yield* TestClock.adjust("10 seconds")
      const exit = yield* Fiber.await(fiber)
      expect(String(exit)).toContain("TimeoutException")
      expect(JSON.parse(ssePayloads(received.join(""))[0]!)).toMatchObject({ type: "stream_chunk", completion: " a" })
      expect(yield* eventually(transport.openConnections, (n) => n === 0)).toBe(0)
    }))

  it.effect("sends headers and part of the body on StallBody", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* server.script(Fault.StallBody())
      const response = yield* client.execute(get(base, "/models_available"))
      expect(response.status).toBe(200)
      const fiber = yield* Effect.fork(Effect.timeout(response.text, "5 seconds"))
      yield* tick
      yield* TestClock.adjust("5 seconds")
      expect(String(yield* Fiber.await(fiber))).toContain("TimeoutException")
    }))

  it.effect("closes the exchange when the reader of a stream is interrupted", () =>
    Effect.gen(function*() {
      const { client, base, transport } = yield* inMemory()
      const response = yield* client.execute(post(base, "/complete", {
        model: "luminous-base",
        prompt: "a b c d e f",
        stream: true
      }))
      const first = yield* response.stream.pipe(Stream.take(1), Stream.runCollect)
      expect(Chunk.size(first)).toBe(1)
      expect(yield* eventually(transport.openConnections, (n) => n === 0)).toBe(0)
    }))

  it.effect("rejects the fetch with the abort reason and cancels the stalled handler", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* inMemory()
      yield* server.script(Fault.StallHeaders())
      const controller = new AbortController()
      const pending = transport.fetch(`${InMemory.url}/version`, {
        headers: { authorization: `Bearer ${token}` },
        signal: controller.signal
      })
      yield* eventually(server.requests, (requests) => requests.length === 1)
      expect(yield* transport.openConnections).toBe(1)
      controller.abort()
      const error = yield* Effect.promise(() => pending.then(() => undefined, (error: unknown) => error))
      expect(error).toMatchObject({ name: "AbortError" })
      expect(yield* eventually(transport.openConnections, (n) => n === 0)).toBe(0)
    }))

  it.effect("errors the body with the abort reason when aborted after the headers", () =>
    Effect.gen(function*() {
      const { server, transport } = yield* inMemory()
      yield* server.script(Fault.StallStream({ afterEvents: 1 }))
      const controller = new AbortController()
      const response = yield* Effect.promise(() =>
        transport.fetch(`${InMemory.url}/complete`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "luminous-base", prompt: "a b", stream: true }),
          signal: controller.signal
        })
      )
      const reader = response.body!.getReader()
      const first = yield* Effect.promise(() => reader.read())
      expect(decoder.decode(first.value)).toContain("stream_chunk")
      controller.abort()
      const error = yield* Effect.promise(() => reader.read().then(() => undefined, (error: unknown) => error))
      expect(error).toMatchObject({ name: "AbortError" })
      expect(yield* eventually(transport.openConnections, (n) => n === 0)).toBe(0)
    }))

  it.effect("provides an HttpClient from the FakeServer layer whose server sleeps on the TestClock", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const server = yield* FakeServer.FakeServer
      yield* server.script(Fault.Latency({ duration: "1 minute" }))
      const fiber = yield* Effect.fork(client.execute(get(InMemory.url, "/version")))
      yield* eventually(server.requests, (requests) => requests.length === 1)
      yield* tick
      yield* TestClock.adjust("1 minute")
      const response = yield* Fiber.join(fiber)
      expect(yield* response.text).toBe("1.19.0")
      expect(yield* server.requests).toHaveLength(1)
    }).pipe(Effect.provide(InMemory.layerClient.pipe(Layer.provideMerge(FakeServer.layer())))))
})

// ---------------------------------------------------------------------------------------------
// CORS
// ---------------------------------------------------------------------------------------------

const origin = "http://127.0.0.1:5173"

/** The preflight a browser sends before a cross-origin streamed chat. */
const preflightOf = (url: string) =>
  HttpClientRequest.make("OPTIONS")(url).pipe(HttpClientRequest.setHeaders({
    origin,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization,content-type,traceparent,x-custom"
  }))

const expectCorsHeaders = (response: HttpClientResponse.HttpClientResponse) => {
  expect(response.headers["access-control-allow-origin"]).toBe("*")
  const exposed = (response.headers["access-control-expose-headers"] ?? "").split(/,\s*/)
  expect(exposed).toEqual(expect.arrayContaining(["retry-after", "retry-after-ms", "content-type", "x-request-id"]))
}

describe("FakeServer and CORS", () => {
  it.effect("answers a preflight 204 without a token, without recording it or taking a scripted fault", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      yield* server.script(Fault.Status({ status: 503, retryAfter: "1" }))
      const response = yield* client.execute(preflightOf(`${base}/chat/completions`))
      expect(response.status).toBe(204)
      expect(response.headers["access-control-allow-origin"]).toBe("*")
      expect(response.headers["access-control-allow-methods"]).toContain("POST")
      expect(response.headers["access-control-allow-headers"]).toBe("authorization,content-type,traceparent,x-custom")
      expect(yield* server.requests).toEqual([])
      // the fault is still queued for the real request
      const failed = yield* client.execute(post(base, "/complete", { model: "luminous-base", prompt: "x" }))
      expect(failed.status).toBe(503)
    }))

  it.effect("allows the client's own headers on a preflight that names none", () =>
    Effect.gen(function*() {
      const { client, base } = yield* inMemory()
      const response = yield* client.execute(HttpClientRequest.make("OPTIONS")(`${base}/complete`))
      expect(response.status).toBe(204)
      const allowed = (response.headers["access-control-allow-headers"] ?? "").split(/,\s*/)
      expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "traceparent", "user-agent"]))
    }))

  it.effect("allows any origin on answers, errors, scripted faults and streams, exposing what the client reads", () =>
    Effect.gen(function*() {
      const { client, base, server } = yield* inMemory()
      const ok = yield* client.execute(post(base, "/complete", { model: "luminous-base", prompt: "x" }))
      const unauthenticated = yield* client.execute(post(base, "/complete", { model: "luminous-base", prompt: "x" }, { token: "" }))
      const unknownModel = yield* client.execute(post(base, "/complete", { model: "gpt-17", prompt: "x" }))
      const unknownPath = yield* client.execute(get(base, "/nope"))
      yield* server.script(Fault.Status({ status: 429, retryAfter: "2", headers: { "x-request-id": "r-1" } }))
      const limited = yield* client.execute(get(base, "/version"))
      const stream = yield* client.execute(post(base, "/chat/completions", {
        model: "llama-3.1-8b-instruct",
        messages: [{ role: "user", content: "hello there" }],
        stream: true
      }))
      expect([ok, unauthenticated, unknownModel, unknownPath, limited, stream].map((r) => r.status))
        .toEqual([200, 401, 404, 404, 429, 200])
      for (const response of [ok, unauthenticated, unknownModel, unknownPath, limited, stream]) expectCorsHeaders(response)
      expect(limited.headers["x-request-id"]).toBe("r-1")
      expect(stream.headers["content-type"]).toContain("text/event-stream")
      expect(ssePayloads(yield* stream.text).at(-1)).toBe("[DONE]")
    }))

  it.live("sends the same headers over 127.0.0.1", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.make()
      const loopback = yield* Loopback.listen().pipe(Effect.provideService(FakeServer.FakeServer, server))
      const preflight = yield* Effect.promise(() =>
        fetch(`${loopback.url}/v1/complete`, {
          method: "OPTIONS",
          headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" }
        })
      )
      expect(preflight.status).toBe(204)
      expect(preflight.headers.get("access-control-allow-origin")).toBe("*")
      expect(preflight.headers.get("access-control-allow-headers")).toBe("authorization")
      const streamed = yield* Effect.promise(() =>
        fetch(`${loopback.url}/v1/complete`, {
          method: "POST",
          headers: { origin, authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "luminous-base", prompt: "a b", stream: true })
        })
      )
      expect(streamed.headers.get("access-control-allow-origin")).toBe("*")
      expect(streamed.headers.get("access-control-expose-headers")).toContain("retry-after-ms")
      expect(yield* Effect.promise(() => streamed.text())).toContain("completion_summary")
    }).pipe(Effect.scoped))
})

// ---------------------------------------------------------------------------------------------
// loopback
// ---------------------------------------------------------------------------------------------

/** The undici `HttpClient`, alive (its connections open) until the scope closes. */
const undici = Effect.gen(function*() {
  const context = yield* Layer.build(UndiciHttpClient.layer())
  return Context.get(context, HttpClient.HttpClient)
})

describe("FakeServer on loopback", () => {
  it.scopedLive("answers a real request over 127.0.0.1 and counts its connection until the client closes", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.make()
      const loopback = yield* Loopback.listen().pipe(Effect.provideService(FakeServer.FakeServer, server))
      expect(loopback.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(yield* loopback.openConnections).toBe(0)
      yield* Effect.scoped(Effect.gen(function*() {
        const client = yield* undici
        const response = yield* client.execute(post(`${loopback.url}/v1`, "/complete", {
          model: "luminous-base",
          prompt: "over the wire",
          maximum_tokens: 2
        }))
        expect(yield* response.json).toMatchObject({ completions: [{ completion: " over the" }] })
        // undici keeps the connection alive for the next request
        expect(yield* loopback.openConnections).toBe(1)
        const streamed = yield* client.execute(post(loopback.url, "/complete", {
          model: "luminous-base",
          prompt: "x",
          stream: true
        }))
        expect(ssePayloads(yield* streamed.text)).toHaveLength(3)
        expect(yield* loopback.openConnections).toBeGreaterThanOrEqual(1)
      }))
      expect(yield* eventually(loopback.openConnections, (n) => n === 0)).toBe(0)
      expect((yield* server.requests).map((request) => request.path)).toEqual(["/v1/complete", "/complete"])
    }))

  it.scopedLive("closes the connection when the client aborts a stalled request", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.make()
      const loopback = yield* Loopback.listen().pipe(Effect.provideService(FakeServer.FakeServer, server))
      const client = yield* undici
      yield* server.script(Fault.StallHeaders())
      const fiber = yield* Effect.fork(client.execute(get(loopback.url, "/version")))
      expect(yield* eventually(loopback.openConnections, (n) => n === 1)).toBe(1)
      yield* eventually(server.requests, (requests) => requests.length === 1)
      yield* Fiber.interrupt(fiber)
      expect(yield* eventually(loopback.openConnections, (n) => n === 0)).toBe(0)
    }))

  it.scopedLive("destroys the socket on DropBeforeHeaders and the client sees a transport error", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.make()
      const loopback = yield* Loopback.listen().pipe(Effect.provideService(FakeServer.FakeServer, server))
      const client = yield* undici
      yield* server.script(Fault.DropBeforeHeaders())
      const error = yield* Effect.flip(client.execute(get(loopback.url, "/version")))
      expect(error._tag).toBe("RequestError")
      expect((error as HttpClientError.RequestError).reason).toBe("Transport")
      expect(yield* eventually(loopback.openConnections, (n) => n === 0)).toBe(0)
      const response = yield* client.execute(get(loopback.url, "/version"))
      expect(yield* response.text).toBe("1.19.0")
    }))

  it.scopedLive("delivers the events before a DropMidStream, then breaks the body", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.make()
      const loopback = yield* Loopback.listen().pipe(Effect.provideService(FakeServer.FakeServer, server))
      const client = yield* undici
      yield* server.script(Fault.DropMidStream({ afterEvents: 3 }))
      const response = yield* client.execute(post(loopback.url, "/chat/completions", {
        model: "llama-3.1-8b-instruct",
        messages: [{ role: "user", content: "one two three four" }],
        stream: true
      }))
      expect(response.status).toBe(200)
      const { result, text } = yield* readPieces(response)
      expect(ssePayloads(text)).toHaveLength(3)
      expect(Either.isLeft(result)).toBe(true)
      expect(yield* eventually(loopback.openConnections, (n) => n === 0)).toBe(0)
    }))

  it.scopedLive("breaks a JSON body on DropMidBody", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.make()
      const loopback = yield* Loopback.listen().pipe(Effect.provideService(FakeServer.FakeServer, server))
      const client = yield* undici
      yield* server.script(Fault.DropMidBody())
      const response = yield* client.execute(post(loopback.url, "/complete", { model: "luminous-base", prompt: "x" }))
      expect(response.status).toBe(200)
      const { result, text } = yield* readPieces(response)
      expect(text.startsWith("{\"completions\"")).toBe(true)
      expect(Either.isLeft(result)).toBe(true)
    }))

  it.live("closing the scope ends a stalled stream and frees every connection", () =>
    Effect.gen(function*() {
      const server = yield* FakeServer.make()
      yield* server.script(Fault.StallStream({ afterEvents: 1 }))
      const counts = yield* Effect.scoped(Effect.gen(function*() {
        const loopback = yield* Loopback.listen().pipe(Effect.provideService(FakeServer.FakeServer, server))
        const client = yield* undici
        const response = yield* client.execute(post(loopback.url, "/complete", {
          model: "luminous-base",
          prompt: "a b",
          stream: true
        }))
        const first = yield* response.stream.pipe(Stream.take(1), Stream.runCollect, Effect.fork)
        yield* Fiber.join(first)
        return { during: yield* loopback.openConnections, loopback }
      }))
      expect(counts.during).toBe(1)
      expect(yield* counts.loopback.openConnections).toBe(0)
    }))
})
