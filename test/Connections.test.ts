import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { ChatRequest, Client, Message } from "../src/index.js"
import { FakeServer, Fault } from "../src/testing/index.js"
import { Loopback } from "../src/testing/node/index.js"

const request = new ChatRequest({
  model: "llama-3.1-8b-instruct",
  messages: [new Message({ role: "user", content: "one two three four five six seven eight" })],
  maximumTokens: 64
})

/** Polls (real time) until the loopback server has no open connection, or gives up after 5 s. */
const noOpenConnections = Effect.gen(function*() {
  const server = yield* Loopback.Loopback
  for (let i = 0; i < 100; i++) {
    if ((yield* server.openConnections) === 0) return 0
    yield* Effect.sleep("50 millis")
  }
  return yield* server.openConnections
})

const loopback = Loopback.layerClient({ client: { totalRetries: 0 } })

describe("connections over a real socket", () => {
  it.live("interrupting a stream after its first event closes the connection", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const fake = yield* FakeServer.FakeServer
      const server = yield* Loopback.Loopback
      // the stream stalls after two events, so only the interruption can end it
      yield* fake.script(Fault.StallStream({ afterEvents: 2 }))
      const first = yield* client.chatWithStreaming(request).pipe(Stream.take(1), Stream.runCollect)
      expect(first.length).toBe(1)
      expect(yield* noOpenConnections).toBe(0)
      // a stream interrupted from outside, while it waits for the stalled server
      yield* fake.script(Fault.StallStream({ afterEvents: 1 }))
      const fiber = yield* Effect.fork(Stream.runDrain(client.chatWithStreaming(request)))
      for (let i = 0; i < 100 && (yield* server.openConnections) === 0; i++) yield* Effect.sleep("20 millis")
      expect(yield* server.openConnections).toBeGreaterThan(0)
      yield* Fiber.interrupt(fiber)
      expect(yield* noOpenConnections).toBe(0)
    }).pipe(Effect.provide(loopback)))

  it.live("a connection reset in the middle of a JSON body is a TransportError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const fake = yield* FakeServer.FakeServer
      yield* fake.script(Fault.DropMidBody({}))
      const error = yield* Effect.flip(client.models())
      expect(error._tag).toBe("TransportError")
    }).pipe(Effect.provide(loopback)))

  it.live("a connection lost after some stream events is a TransportError with the events kept", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const fake = yield* FakeServer.FakeServer
      yield* fake.script(Fault.DropMidStream({ afterEvents: 3 }))
      const received: Array<unknown> = []
      const error = yield* Effect.flip(
        Stream.runForEach(client.chatWithStreaming(request), (event) => Effect.sync(() => received.push(event)))
      )
      expect(error._tag).toBe("TransportError")
      expect(received.length).toBeGreaterThan(0)
      expect((yield* fake.requests).length).toBe(1)
    }).pipe(Effect.provide(loopback)))

  it.live("a connection dropped before the headers is retried on a fresh connection", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const fake = yield* FakeServer.FakeServer
      yield* fake.script(Fault.DropBeforeHeaders({}))
      const response = yield* client.chat(request)
      expect(response.message.content.length).toBeGreaterThan(0)
      expect((yield* fake.requests).length).toBe(2)
    }).pipe(Effect.provide(Loopback.layerClient())))

  it("nothing keeps the process alive after a stream is interrupted", async () => {
    const script = fileURLToPath(new URL("./fixtures/interrupt-and-exit.ts", import.meta.url))
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (chunk) => output += chunk)
    child.stderr.on("data", (chunk) => output += chunk)
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL")
        resolve("still running after 20 s")
      }, 20_000)
      child.on("exit", (code) => {
        clearTimeout(timer)
        resolve(code ?? "killed")
      })
    })
    expect({ code, output }).toEqual({ code: 0, output: "interrupted after 1 event\n" })
  }, 30_000)
})

