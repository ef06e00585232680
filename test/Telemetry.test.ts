import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Random, Redacted, Stream, TestClock, Tracer } from "effect"
import { ChatRequest, Client, CompletionRequest, Message, Prompt, StreamOptions } from "../src/index.js"
import { AlephAlphaTest, FakeServer, Fault } from "../src/testing/index.js"

interface Recorded {
  readonly name: string
  readonly attributes: Map<string, unknown>
  ended: boolean
}

/** A tracer that keeps every span it creates, with its attributes. */
const recording = () => {
  const spans: Array<Recorded> = []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const recorded: Recorded = { name, attributes: new Map(), ended: false }
      spans.push(recorded)
      return {
        _tag: "Span",
        name,
        spanId: String(spans.length),
        traceId: "trace",
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes: recorded.attributes,
        links,
        sampled: true,
        kind,
        end: () => {
          recorded.ended = true
        },
        attribute: (key, value) => {
          recorded.attributes.set(key, value)
        },
        event: () => {},
        addLinks: () => {}
      } satisfies Tracer.Span
    },
    context: (f) => f()
  })
  return { spans, layer: Layer.setTracer(tracer) }
}

const prompt = "A secret prompt about apples"
const completion = new CompletionRequest({ prompt: Prompt.fromText(prompt), maximumTokens: 5, temperature: 0.5 })
const chat = new ChatRequest({
  model: "llama-3.1-8b-instruct",
  messages: [new Message({ role: "user", content: prompt })],
  maximumTokens: 6,
  streamOptions: new StreamOptions({ includeUsage: true })
})

const named = (spans: ReadonlyArray<Recorded>, name: string) => {
  const span = spans.find((s) => s.name === name)
  expect(span, `span ${name}`).toBeDefined()
  return span!
}

describe("telemetry", () => {
  it.effect("Client.complete runs in a span with the GenAI attributes and no prompt text", () => {
    const { layer, spans } = recording()
    return Effect.gen(function*() {
      const client = yield* Client
      yield* client.complete(completion, "luminous-base")
      const span = named(spans, "AlephAlpha.complete")
      expect(span.ended).toBe(true)
      expect(Object.fromEntries(span.attributes)).toMatchObject({
        "gen_ai.system": "aleph_alpha",
        "gen_ai.operation.name": "text_completion",
        "gen_ai.request.model": "luminous-base",
        "gen_ai.request.max_tokens": 5,
        "gen_ai.request.temperature": 0.5,
        "gen_ai.response.finish_reasons": ["maximum_tokens"],
        "gen_ai.usage.output_tokens": 5,
        "aleph_alpha.retry_count": 0
      })
      expect(span.attributes.get("gen_ai.usage.input_tokens")).toBeGreaterThan(0)
      const everything = JSON.stringify(spans.map((s) => [...s.attributes]))
      expect(everything).not.toContain("secret prompt")
      expect(everything).not.toContain(Redacted.value(AlephAlphaTest.token))
    }).pipe(Effect.provide(AlephAlphaTest.layer()), Effect.provide(layer))
  })

  it.effect("a chat stream records finish reasons, usage and the time to its first event", () => {
    const { layer, spans } = recording()
    return Effect.gen(function*() {
      const client = yield* Client
      yield* Stream.runDrain(client.chatWithStreaming(chat))
      const span = named(spans, "AlephAlpha.chatWithStreaming")
      expect(span.ended).toBe(true)
      expect(Object.fromEntries(span.attributes)).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "llama-3.1-8b-instruct",
        "gen_ai.request.max_tokens": 6,
        "gen_ai.response.finish_reasons": ["length"],
        "gen_ai.usage.output_tokens": 6
      })
      expect(span.attributes.get("aleph_alpha.time_to_first_event_ms")).toBeTypeOf("number")
      expect(JSON.stringify(spans.map((s) => [...s.attributes]))).not.toContain("secret prompt")
    }).pipe(Effect.provide(AlephAlphaTest.layer()), Effect.provide(layer))
  })

  it.effect("a retried call records its retry count", () => {
    const { layer, spans } = recording()
    return Effect.gen(function*() {
      const client = yield* Client
      const server = yield* FakeServer.FakeServer
      yield* server.script(Fault.Status({ status: 503, body: "busy", times: 2 }))
      const fiber = yield* Effect.fork(client.chat(chat))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      expect(named(spans, "AlephAlpha.chat").attributes.get("aleph_alpha.retry_count")).toBe(2)
    }).pipe(Effect.provide(AlephAlphaTest.layer()), Effect.provide(layer), Effect.withRandom(Random.fixed([0.5])))
  })

  it.effect("with recordContent the prompt and the completion are recorded", () => {
    const { layer, spans } = recording()
    return Effect.gen(function*() {
      const client = yield* Client
      yield* client.chat(chat)
      const span = named(spans, "AlephAlpha.chat")
      expect(String(span.attributes.get("gen_ai.prompt"))).toContain("secret prompt")
      expect(String(span.attributes.get("gen_ai.completion"))).toContain("secret")
    }).pipe(Effect.provide(AlephAlphaTest.layer({ client: { recordContent: true } })), Effect.provide(layer))
  })

  it.effect("requests carry the W3C traceparent of the method's span, for a GET and for POSTs", () => {
    const { layer, spans } = recording()
    return Effect.gen(function*() {
      const client = yield* Client
      yield* client.models()
      yield* client.complete(completion, "luminous-base")
      yield* client.chat(chat)
      const requests = yield* Effect.flatMap(FakeServer.FakeServer, (server) => server.requests)
      expect(requests).toHaveLength(3)
      for (const [request, name] of requests.map((r, i) => [r, ["models", "complete", "chat"][i]] as const)) {
        const span = named(spans, `AlephAlpha.${name}`)
        expect(request.headers.traceparent).toMatch(/^00-trace-\d+-01$/)
        expect(request.headers.traceparent).toBe(`00-trace-${spans.indexOf(span) + 1}-01`)
      }
    }).pipe(Effect.provide(AlephAlphaTest.layer()), Effect.provide(layer))
  })

  it.effect("under Effect's built-in tracer no span is made: a request carries the caller's traceparent, or none", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const server = yield* FakeServer.FakeServer
      yield* client.models()
      const caller = yield* Effect.withSpan(Effect.zipLeft(Effect.orDie(Effect.currentSpan), client.models()), "caller")
      const [untraced, traced] = yield* server.requests
      expect(untraced!.headers.traceparent).toBeUndefined()
      expect(traced!.headers.traceparent).toBe(`00-${caller.traceId}-${caller.spanId}-01`)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("under Effect's built-in tracer a stream has no span either, and delivers every event", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const events = yield* Stream.runCollect(client.chatWithStreaming(chat))
      expect(Chunk.size(events)).toBeGreaterThan(0)
      const [request] = yield* Effect.flatMap(FakeServer.FakeServer, (server) => server.requests)
      expect(request!.headers.traceparent).toBeUndefined()
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})
