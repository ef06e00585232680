/**
 * `Loopback.start()`: the fake server on 127.0.0.1 for Promise code. Every test body here is
 * plain async code, as a vitest, jest or node:test user writes it: no Effect.
 */
import * as NodeHttp from "node:http"
import { describe, expect, it } from "vitest"
import {
  BusyError,
  ChatRequest,
  CompletionRequest,
  Message,
  Prompt,
  SemanticEmbeddingRequest,
  TransportError,
  ValidationError
} from "../src/index.js"
import { AsyncClient } from "../src/index.node.js"
import { Fault } from "../src/testing/index.js"
import { Loopback } from "../src/testing/node/index.js"

const completion = new CompletionRequest({ prompt: Prompt.fromText("an apple a day"), maximumTokens: 4 })
const chatRequest = new ChatRequest({
  model: "llama-3.1-8b-instruct",
  messages: [new Message({ role: "user", content: "one two three four five six" })],
  maximumTokens: 6
})

/** Whether something accepts connections on 127.0.0.1:port. */
const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const request = NodeHttp.get({ host: "127.0.0.1", port, path: "/version", agent: false }, (response) => {
      response.resume()
      resolve(true)
    })
    request.once("error", () => resolve(false))
  })

describe("Loopback.start", () => {
  it("serves the fake server on 127.0.0.1 to an AsyncClient, recording what it received", async () => {
    await using server = await Loopback.start()
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
    await using client = new AsyncClient({ token: "t", host: server.url, totalRetries: 0 })
    const response = await client.complete(completion, "luminous-base")
    expect(response.completions[0]?.completion).toContain("apple")
    const [request] = server.requests()
    expect(request).toMatchObject({ method: "POST", path: "/complete", body: { maximum_tokens: 4 } })
    // undici keeps the connection for the next call
    expect(server.openConnections()).toBe(1)
  })

  it("takes the fake server's options", async () => {
    await using server = await Loopback.start({ models: ["my-model"], version: "9.9.9" })
    await using client = new AsyncClient({ token: "t", host: `${server.url}/v1`, totalRetries: 0 })
    expect((await client.models()).map((model) => model.name)).toEqual(["my-model"])
    expect(await client.getVersion()).toBe("9.9.9")
  })

  it("answers a 503 then success, which the client retries through", async () => {
    await using server = await Loopback.start()
    await using client = new AsyncClient({ token: "t", host: server.url, totalRetries: 1 })
    server.script(Fault.Status({ status: 503, retryAfter: "0" }))
    await expect(client.complete(completion, "luminous-base")).resolves.toBeDefined()
    expect(server.requests()).toHaveLength(2)
  })

  it("aims a scripted fault at one endpoint: the embedding passes, the chat stream after it is cut", async () => {
    await using server = await Loopback.start()
    await using client = new AsyncClient({ token: "t", host: server.url, totalRetries: 0 })
    server.script(Fault.DropMidStream({ afterEvents: 2, path: "chat/completions" }))
    const embedded = await client.semanticEmbed(
      new SemanticEmbeddingRequest({ prompt: Prompt.fromText("apples"), representation: "symmetric" }),
      "luminous-base"
    )
    expect(embedded.embedding.length).toBeGreaterThan(0)
    const events: Array<unknown> = []
    const failure = await (async () => {
      for await (const event of client.chatWithStreaming(chatRequest)) events.push(event)
    })().catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(TransportError)
    expect(events.length).toBeGreaterThan(0)
    expect(server.requests().map((request) => request.path)).toEqual(["/semantic_embed", "/chat/completions"])
  })

  it("forgets faults and requests on reset", async () => {
    await using server = await Loopback.start()
    await using client = new AsyncClient({ token: "t", host: server.url, totalRetries: 0 })
    server.script(Fault.Status({ status: 503 }))
    await expect(client.complete(completion, "luminous-base")).rejects.toBeInstanceOf(BusyError)
    server.script(Fault.Status({ status: 503 }))
    server.reset()
    expect(server.requests()).toEqual([])
    await expect(client.complete(completion, "luminous-base")).resolves.toBeDefined()
  })

  it("frees its port on close, ending a stalled answer, and closes once however often it is asked", async () => {
    const server = await Loopback.start()
    const client = new AsyncClient({ token: "t", host: server.url, totalRetries: 0 })
    server.script(Fault.StallHeaders())
    const stalled = client.complete(completion, "luminous-base").catch((error: unknown) => error)
    while (server.requests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    await Promise.all([server.close(), server.close()])
    expect(await stalled).toBeInstanceOf(TransportError)
    expect(await accepts(server.port)).toBe(false)
    await server.close()
    await client.close()
  })

  it("closes at the end of an `await using` block", async () => {
    let port = 0
    {
      await using server = await Loopback.start()
      port = server.port
      expect(await accepts(port)).toBe(true)
    }
    expect(await accepts(port)).toBe(false)
  })

  it("rejects bad options with a ValidationError and a taken port with Node's error", async () => {
    await expect(Loopback.start({ port: 70_000 })).rejects.toBeInstanceOf(ValidationError)
    await expect(Loopback.start({ port: 1.5 })).rejects.toThrow(/port: expected an integer from 0 to 65535/)
    await expect(Loopback.start(null as never)).rejects.toBeInstanceOf(ValidationError)
    await expect(Loopback.start({ models: 42 as never })).rejects.toBeInstanceOf(ValidationError)
    const throwing = Object.defineProperty({}, "port", { enumerable: true, get: () => { throw new Error("boom") } })
    await expect(Loopback.start(throwing)).rejects.toBeInstanceOf(ValidationError)
    await using server = await Loopback.start()
    await expect(Loopback.start({ port: server.port })).rejects.toMatchObject({ code: "EADDRINUSE" })
    // the failed start left nothing behind: the first server still answers
    expect(await accepts(server.port)).toBe(true)
  })
})

