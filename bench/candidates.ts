// The contestants of `npm run bench`: this client through `Client` (Effect) and `AsyncClient`,
// the openai SDK, and raw undici (the ceiling). Each exposes the same operations.
import * as Undici from "undici"
import { Effect, Layer, ManagedRuntime, Redacted, Stream, Tracer } from "effect"
import OpenAI from "openai"
import { ChatRequest, Client, CompletionRequest, Message, Prompt } from "../src/index.js"
// the Node build, as Node resolves the package ("node" condition): AsyncClient over undici
import { AsyncClient } from "../src/index.node.js"
import { UndiciHttpClient } from "../src/node/index.js"

export interface Candidate {
  readonly name: string
  /** Runs `concurrency` workers making non-streaming chat calls until `deadline`; returns the calls made. */
  readonly chatLoop?: (concurrency: number, deadline: number) => Promise<number>
  /** Consumes one streamed chat answer; returns its content events. */
  readonly chatStream?: () => Promise<number>
  /** Consumes one streamed completion; returns its text events. */
  readonly completionStream?: () => Promise<number>
  readonly close: () => Promise<void>
}

const model = "llama-3.1-8b-instruct"
const question = "one two three four five six seven eight"
const chatBody = { model, messages: [{ role: "user" as const, content: question }], max_tokens: 16 }

const chatRequest = new ChatRequest({
  model,
  messages: [new Message({ role: "user", content: question })],
  maximumTokens: 16
})
const completionRequest = new CompletionRequest({ prompt: Prompt.fromText(question), maximumTokens: 16 })

/** Promise workers looping until the deadline. */
const promiseLoop = async (call: () => Promise<unknown>, concurrency: number, deadline: number) => {
  let done = 0
  const worker = async () => {
    while (performance.now() < deadline) {
      await call()
      done++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return done
}

/**
 * A tracer as an application installs one (an OpenTelemetry SDK, say), minus the export: it
 * keeps each span's attributes and counts the spans that end. Telemetry is on under it.
 */
const recordingTracer = () => {
  let ended = 0
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: Math.random().toString(16).slice(2, 18).padEnd(16, "0"),
        traceId: parent._tag === "Some" ? parent.value.traceId : Math.random().toString(16).slice(2, 18).padEnd(32, "0"),
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links,
        sampled: true,
        kind,
        end: (endTime, exit) => {
          ;(span as { status: Tracer.SpanStatus }).status = { _tag: "Ended", startTime, endTime, exit }
          ended++
        },
        attribute: (key, value) => {
          attributes.set(key, value)
        },
        event: () => {},
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })
  return { layer: Layer.setTracer(tracer), ended: () => ended }
}

export const effectClient = async (url: string, options: { readonly traced?: boolean } = {}): Promise<Candidate> => {
  const tracer = options.traced === true ? recordingTracer() : undefined
  const runtime = ManagedRuntime.make(
    Client.layer({ token: Redacted.make("bench"), host: `${url}/v1` }).pipe(
      Layer.provide(UndiciHttpClient.layer({ connectionLimit: 100, proxy: false })),
      Layer.provideMerge(tracer?.layer ?? Layer.empty)
    )
  )
  const client = await runtime.runPromise(Client)
  if (tracer !== undefined) {
    // telemetry must really be on: a call ends one span
    await runtime.runPromise(client.chat(chatRequest))
    if (tracer.ended() !== 1) throw new Error(`the recording tracer saw ${tracer.ended()} spans for one call`)
  }
  return {
    name: tracer === undefined ? "Client (Effect)" : "Client, traced",
    chatLoop: (concurrency, deadline) =>
      runtime.runPromise(Effect.gen(function*() {
        let done = 0
        const worker = Effect.gen(function*() {
          while (performance.now() < deadline) {
            yield* client.chat(chatRequest)
            done++
          }
        })
        yield* Effect.all(Array.from({ length: concurrency }, () => worker), { concurrency: "unbounded", discard: true })
        return done
      })),
    chatStream: () =>
      runtime.runPromise(
        Stream.runFold(client.chatWithStreaming(chatRequest), 0, (n, event) => event._tag === "ChatStreamChunk" ? n + 1 : n)
      ),
    completionStream: () =>
      runtime.runPromise(
        Stream.runFold(
          client.completeWithStreaming(completionRequest, "luminous-base"),
          0,
          (n, event) => event._tag === "StreamChunk" ? n + 1 : n
        )
      ),
    close: () => runtime.dispose()
  }
}

export const asyncClient = (url: string): Candidate => {
  const client = new AsyncClient({ token: "bench", host: `${url}/v1`, connectionLimit: 100 })
  return {
    name: "AsyncClient",
    chatLoop: (concurrency, deadline) => promiseLoop(() => client.chat(chatRequest), concurrency, deadline),
    chatStream: async () => {
      let n = 0
      for await (const event of client.chatWithStreaming(chatRequest)) if (event._tag === "ChatStreamChunk") n++
      return n
    },
    completionStream: async () => {
      let n = 0
      for await (const event of client.completeWithStreaming(completionRequest, "luminous-base")) {
        if (event._tag === "StreamChunk") n++
      }
      return n
    },
    close: () => client.close()
  }
}

export const openaiSdk = (url: string): Candidate => {
  const client = new OpenAI({ apiKey: "bench", baseURL: `${url}/v1` })
  return {
    name: "openai SDK",
    chatLoop: (concurrency, deadline) =>
      promiseLoop(() => client.chat.completions.create(chatBody), concurrency, deadline),
    chatStream: async () => {
      let n = 0
      const stream = await client.chat.completions.create({ ...chatBody, stream: true })
      for await (const chunk of stream) if (chunk.choices[0]?.delta?.content) n++
      return n
    },
    close: async () => {}
  }
}

/** Counts the `data:` events of an SSE body with a minimal line splitter. */
const countSse = async (body: AsyncIterable<Buffer>, count: (json: any) => boolean) => {
  let n = 0
  let rest = ""
  for await (const part of body) {
    const lines = (rest + part.toString("utf8")).split("\n")
    rest = lines.pop()!
    for (const line of lines) {
      if (line.startsWith("data: ") && line !== "data: [DONE]" && count(JSON.parse(line.slice(6)))) n++
    }
  }
  return n
}

export const rawUndici = (url: string): Candidate => {
  const agent = new Undici.Agent({ connections: 100 })
  const post = (path: string, body: object) =>
    agent.request({
      origin: url,
      path,
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer bench" },
      body: JSON.stringify(body)
    })
  return {
    name: "raw undici",
    chatLoop: (concurrency, deadline) =>
      promiseLoop(async () => {
        const response = await post("/v1/chat/completions", chatBody)
        return response.body.json()
      }, concurrency, deadline),
    chatStream: async () => {
      const response = await post("/v1/chat/completions", { ...chatBody, stream: true })
      return countSse(response.body, (json) => Boolean(json.choices?.[0]?.delta?.content))
    },
    completionStream: async () => {
      const response = await post("/v1/complete", { prompt: question, maximum_tokens: 16, stream: true, model: "luminous-base" })
      return countSse(response.body, (json) => json.type === "stream_chunk")
    },
    close: () => agent.close()
  }
}
