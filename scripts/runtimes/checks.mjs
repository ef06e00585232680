// The checks every runtime runs (`npm run test:runtimes`), written once: imported by the
// Node, Bun and Deno entries as they are, bundled into the Worker and the browser page, and
// into CommonJS for Node's `require`. They talk to the fake server whose URL they are given.
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer, Redacted, Stream } from "effect"
import {
  AsyncClient,
  ChatRequest,
  Client,
  CompletionRequest,
  Message,
  NotFoundError,
  Prompt,
  SemanticEmbeddingRequest
} from "aleph-alpha-client"

const timeoutMillis = 15_000

const completion = new CompletionRequest({ prompt: Prompt.fromText("An apple a day keeps"), maximumTokens: 4 })
const chat = new ChatRequest({
  model: "llama-3.1-8b-instruct",
  messages: [new Message({ role: "user", content: "name three kinds of apple" })]
})
// long enough that breaking off after two events leaves most of it unsent
const longChat = new ChatRequest({
  model: "llama-3.1-8b-instruct",
  messages: [new Message({ role: "user", content: "count the apples in the orchard" })],
  maximumTokens: 400
})
const embedding = new SemanticEmbeddingRequest({
  prompt: Prompt.fromText("apple orchard"),
  representation: "symmetric",
  compressToSize: 128
})

const expect = (condition, message) => {
  if (!condition) throw new Error(message)
}

const textOf = (events) => events.filter((event) => event._tag === "ChatStreamChunk").map((event) => event.content).join("")

// what the fake server answers: the words of the prompt, cycled up to the token limit
const checkCompletion = (response) =>
  expect(response.completions[0]?.completion === " An apple a day", `completion: ${JSON.stringify(response.completions[0]?.completion)}`)
const checkChat = (response) =>
  expect(response.message.content === "name three kinds of apple", `chat: ${JSON.stringify(response.message.content)}`)
const checkStreamed = (events) => {
  expect(textOf(events) === "name three kinds of apple", `streamed text: ${JSON.stringify(textOf(events))}`)
  expect(events.some((event) => event._tag === "ChatFinish"), "no ChatFinish event")
}
const checkBrokenOff = (events) => expect(events.length === 2, `${events.length} events before breaking off`)
const checkEmbedding = (response) => expect(response.embedding.length === 128, `embedding of ${response.embedding.length} floats`)
const checkNotFound = (error) => {
  expect(error instanceof NotFoundError, `expected a NotFoundError, got ${error?._tag ?? error}`)
  expect(error.status === 404 && error.code === "UNKNOWN_MODEL", `status ${error.status}, code ${error.code}`)
}

const effectChecks = (host) => {
  const layer = Client.layer({ token: Redacted.make("runtime-test"), host, totalRetries: 0 }).pipe(
    Layer.provide(FetchHttpClient.layer)
  )
  const run = (effect) => Effect.runPromise(Effect.provide(Effect.flatMap(Client, effect), layer))
  return {
    "Client complete": () => run((client) => client.complete(completion, "luminous-base")).then(checkCompletion),
    "Client chat": () => run((client) => client.chat(chat)).then(checkChat),
    "Client chatWithStreaming to the end": () =>
      run((client) => Stream.runCollect(client.chatWithStreaming(chat))).then((chunk) => checkStreamed(Array.from(chunk))),
    "Client chatWithStreaming broken off": () =>
      run((client) => Stream.runCollect(Stream.take(client.chatWithStreaming(longChat), 2))).then((chunk) =>
        checkBrokenOff(Array.from(chunk))
      ),
    "Client semanticEmbed": () => run((client) => client.semanticEmbed(embedding, "luminous-base")).then(checkEmbedding),
    "Client NotFoundError": () =>
      run((client) => Effect.flip(client.complete(completion, "no-such-model"))).then(checkNotFound)
  }
}

const asyncChecks = (host) => {
  // the default transport: undici on Node, fetch elsewhere; made by the first check, whose
  // failure it then is when the constructor throws
  let made
  const client = () => (made ??= new AsyncClient({ token: "runtime-test", host, totalRetries: 0 }))
  const collect = async (iterable, limit = Infinity) => {
    const events = []
    for await (const event of iterable) {
      events.push(event)
      if (events.length === limit) break
    }
    return events
  }
  return {
    "AsyncClient complete": () => client().complete(completion, "luminous-base").then(checkCompletion),
    "AsyncClient chat": () => client().chat(chat).then(checkChat),
    "AsyncClient chatWithStreaming to the end": () => collect(client().chatWithStreaming(chat)).then(checkStreamed),
    "AsyncClient chatWithStreaming broken off": () => collect(client().chatWithStreaming(longChat), 2).then(checkBrokenOff),
    "AsyncClient semanticEmbed": () => client().semanticEmbed(embedding, "luminous-base").then(checkEmbedding),
    "AsyncClient NotFoundError": () =>
      client().complete(completion, "no-such-model").then(
        () => expect(false, "the unknown model answered"),
        checkNotFound
      ),
    "AsyncClient close": () => client().close()
  }
}

const withTimeout = (promise) => {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result within ${timeoutMillis} ms`)), timeoutMillis)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Runs every check in order against the fake server at `host` (its URL, with or without
 * `/v1`); never rejects. Each result is `{ name, ok, error? }`.
 */
export const runChecks = async (host) => {
  const results = [{ name: "import", ok: typeof Client.layer === "function" && typeof AsyncClient === "function" }]
  for (const [name, check] of [...Object.entries(effectChecks(host)), ...Object.entries(asyncChecks(host))]) {
    try {
      await withTimeout(Promise.resolve().then(check))
      results.push({ name, ok: true })
    } catch (error) {
      results.push({ name, ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
    }
  }
  return results
}
