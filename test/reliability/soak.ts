/**
 * The long soak (`npm run test:soak`, not part of `npm test`): 20,000 mixed calls through one
 * client over undici and the fake server on 127.0.0.1, with random faults injected into a
 * tenth of the requests and a scaled-down retry schedule. Every outcome is classified; a
 * success must equal the fault-free answer, a failed stream must have delivered a prefix of
 * it, a failed batch stream only whole, distinct, correct batches. Prints the counts and exits
 * non-zero if any result was lost (or duplicated, or corrupted), a call hung or died, the
 * connections exceeded the pool's limit, or a connection stayed open after the pool closed.
 *
 * Knobs (environment): SOAK_CALLS (20000), SOAK_CONCURRENCY (64), SOAK_FAULT_RATE (0.1),
 * SOAK_SEED (random), SOAK_CONNECTIONS (32).
 */
import { Cause, Context, Effect, Exit, Fiber, Layer, Option, Redacted, Scope, Stream } from "effect"
import {
  BatchSemanticEmbeddingRequest,
  ChatRequest,
  Client,
  type ClientService,
  CompletionRequest,
  Message,
  Prompt,
  retrySchedule,
  SemanticEmbeddingRequest,
  TokenizationRequest
} from "../../src/index.js"
import { AlephAlphaHttp } from "../../src/index.js"
import { FakeServer, Fault } from "../../src/testing/index.js"
import { UndiciHttpClient } from "../../src/node/index.js"
import { Loopback } from "../../src/testing/node/index.js"

const token = Redacted.make("tok-SOAK-3b8f0e41")

const calls = Number(process.env.SOAK_CALLS ?? 20_000)
const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 64)
const faultRate = Number(process.env.SOAK_FAULT_RATE ?? 0.1)
const connectionLimit = Number(process.env.SOAK_CONNECTIONS ?? 32)
const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31))

/** mulberry32: a small seeded PRNG, so a run can be repeated with SOAK_SEED. */
const prng = (state: number) => () => {
  state = (state + 0x6d2b79f5) | 0
  let t = Math.imul(state ^ (state >>> 15), 1 | state)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const random = prng(seed)
const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!

// ---------------------------------------------------------------------------------------------
// the faults: one slot per request the server receives, in order of arrival

const none = Fault.Latency({ duration: 0 })
const faultKinds: ReadonlyArray<readonly [name: string, make: () => Fault.Fault]> = [
  ["503", () => Fault.Status({ status: 503, body: { error: "Queue full", code: "QUEUE_FULL" } })],
  ["429", () => Fault.Status({ status: 429, retryAfter: "0", body: { error: "Too many requests" } })],
  ["500", () => Fault.Status({ status: 500, body: "Internal Server Error" })],
  ["502", () => Fault.Status({ status: 502, body: "Bad Gateway" })],
  ["402", () => Fault.Status({ status: 402, body: { error: "Out of credits", code: "QUOTA" } })],
  ["400", () => Fault.Status({ status: 400, body: { error: "Rejected", code: "BAD_REQUEST" } })],
  ["malformed 200", () => Fault.Status({ status: 200, body: "{\"oops\": [" })],
  ["drop before headers", () => Fault.DropBeforeHeaders()],
  ["drop mid body", () => Fault.DropMidBody()],
  ["drop mid stream", () => Fault.DropMidStream({ afterEvents: 1 + Math.floor(random() * 3) })],
  ["stall headers", () => Fault.StallHeaders()],
  ["stall body", () => Fault.StallBody()],
  ["stall stream", () => Fault.StallStream({ afterEvents: 1 + Math.floor(random() * 3) })],
  ["latency", () => Fault.Latency({ duration: `${1 + Math.floor(random() * 20)} millis` })]
]

// ---------------------------------------------------------------------------------------------
// the calls: a few inputs per kind, so every answer can be compared with a fault-free one

const inputs = 12
const text = (i: number) => `soak input ${i} alpha bravo charlie delta`
const chatModel = "llama-3.1-8b-instruct"
const model = "luminous-base"

type Kind =
  | "complete"
  | "completeWithStreaming"
  | "chat"
  | "chatWithStreaming"
  | "semanticEmbed"
  | "batchSemanticEmbed"
  | "batchSemanticEmbedStream"
  | "tokenize"
  | "models"

const kinds: ReadonlyArray<Kind> = [
  "complete",
  "completeWithStreaming",
  "chat",
  "chatWithStreaming",
  "semanticEmbed",
  "batchSemanticEmbed",
  "batchSemanticEmbedStream",
  "tokenize",
  "models"
]

const completion = (i: number) => new CompletionRequest({ prompt: Prompt.fromText(text(i)), maximumTokens: 6 })
const chat = (i: number) =>
  new ChatRequest({ model: chatModel, messages: [new Message({ role: "user", content: text(i) })], maximumTokens: 6 })
const batch = (i: number) =>
  new BatchSemanticEmbeddingRequest({
    prompts: Array.from({ length: 5 }, (_, k) => Prompt.fromText(`${text(i)} ${k}`)),
    representation: "symmetric",
    compressToSize: 128
  })
const batchOptions = { batchSize: 2, concurrency: 2 }

/** What a call delivered: its value, or the items a stream emitted before it ended. */
interface Delivered {
  readonly exit: Exit.Exit<unknown, unknown>
  readonly items: ReadonlyArray<unknown> | undefined
}

const streamed = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<Delivered> =>
  Effect.suspend(() => {
    const items: Array<A> = []
    return Effect.map(
      Effect.exit(Stream.runForEach(stream, (item) => Effect.sync(() => items.push(item)))),
      (exit) => ({ exit, items })
    )
  })

const plain = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<Delivered> =>
  Effect.map(Effect.exit(effect), (exit) => ({ exit, items: undefined }))

const run = (client: ClientService, kind: Kind, i: number): Effect.Effect<Delivered> => {
  switch (kind) {
    case "complete":
      return plain(client.complete(completion(i), model))
    case "completeWithStreaming":
      return streamed(client.completeWithStreaming(completion(i), model))
    case "chat":
      // id and created differ per request: the choices are the answer
      return plain(Effect.map(client.chat(chat(i)), (response) => response.choices))
    case "chatWithStreaming":
      return streamed(client.chatWithStreaming(chat(i)))
    case "semanticEmbed":
      return plain(client.semanticEmbed(
        new SemanticEmbeddingRequest({ prompt: Prompt.fromText(text(i)), representation: "symmetric", compressToSize: 128 }),
        model
      ))
    case "batchSemanticEmbed":
      return plain(client.batchSemanticEmbed(batch(i), model, batchOptions))
    case "batchSemanticEmbedStream":
      return streamed(client.batchSemanticEmbedStream(batch(i), model, batchOptions))
    case "tokenize":
      return plain(client.tokenize(new TokenizationRequest({ prompt: text(i), tokens: true, tokenIds: true }), model))
    case "models":
      return plain(client.models())
  }
}

const json = (value: unknown) => JSON.stringify(value)

// ---------------------------------------------------------------------------------------------

const expectedFailures: ReadonlySet<string> = new Set([
  "BusyError",
  "RateLimitError",
  "ServerError",
  "QuotaError",
  "BadRequestError",
  "TransportError",
  "RequestTimeoutError",
  "DecodeError"
])

const program = Effect.gen(function*() {
  const fake = yield* FakeServer.FakeServer
  const server = yield* Loopback.Loopback
  const clientScope = yield* Scope.make()
  const layer = Client.layer({
    token,
    host: `${server.url}/v1`,
    requestTimeout: "2 seconds",
    streamIdleTimeout: "1 second",
    // the default policy scaled down: 2 ms, 4 ms, 8 ms (jittered), 3 retries
    retrySchedule: retrySchedule({ totalRetries: 3, initialDelay: "2 millis", maxDelay: "20 millis" })
  }).pipe(Layer.provide(UndiciHttpClient.layer({ connectionLimit })))
  const client = Context.get(yield* Layer.buildWithScope(layer, clientScope), Client)

  // fault-free answers
  const reference = new Map<string, Delivered>()
  for (const kind of kinds) {
    for (let i = 0; i < inputs; i++) {
      const delivered = yield* run(client, kind, i)
      if (Exit.isFailure(delivered.exit)) {
        return yield* Effect.dieMessage(`the fault-free ${kind} ${i} failed: ${Cause.pretty(delivered.exit.cause)}`)
      }
      reference.set(`${kind}/${i}`, delivered)
    }
  }
  yield* fake.reset

  // one fault slot per request, far more than will be used
  const slots = Array.from({ length: calls * 4 }, () => random() < faultRate ? pick(faultKinds) : undefined)
  yield* fake.script(...slots.map((slot) => slot === undefined ? none : slot[1]()))

  // watch the connections
  let peak = 0
  const sampler = yield* Effect.fork(Effect.forever(
    Effect.flatMap(server.openConnections, (open) => Effect.sync(() => (peak = Math.max(peak, open)))).pipe(
      Effect.zipRight(Effect.sleep("2 millis"))
    )
  ))

  const outcomes = new Map<string, number>()
  const byKind = new Map<string, Map<string, number>>()
  const problems: Array<string> = []
  const note = (kind: Kind, outcome: string) => {
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
    const mine = byKind.get(kind) ?? new Map<string, number>()
    mine.set(outcome, (mine.get(outcome) ?? 0) + 1)
    byKind.set(kind, mine)
  }
  let lost = 0
  let done = 0
  const started = Date.now()

  const plan = Array.from({ length: calls }, () => [pick(kinds), Math.floor(random() * inputs)] as const)
  yield* Effect.forEach(plan, ([kind, i]) =>
    Effect.gen(function*() {
      const ref = reference.get(`${kind}/${i}`)!
      const result = yield* Effect.timeoutOption(run(client, kind, i), "60 seconds")
      done++
      if (done % 2000 === 0) console.error(`… ${done} calls, ${((Date.now() - started) / 1000).toFixed(1)} s`)
      if (Option.isNone(result)) {
        lost++
        note(kind, "hung")
        problems.push(`${kind} ${i}: no outcome within 60 s`)
        return
      }
      const { exit, items } = result.value
      if (Exit.isSuccess(exit)) {
        const same = items === undefined
          ? json(exit.value) === json(ref.exit._tag === "Success" ? ref.exit.value : undefined)
          : kind === "batchSemanticEmbedStream"
          // batches arrive in completion order
          ? items.length === (ref.items ?? []).length && faithfulBatches(items, ref.items ?? [])
          : json(items) === json(ref.items)
        note(kind, same ? "success" : "success with a wrong answer")
        if (!same) {
          lost++
          problems.push(`${kind} ${i}: the answer differs from the fault-free one`)
        }
        return
      }
      if (Cause.defects(exit.cause).length > 0 || Cause.isInterrupted(exit.cause)) {
        lost++
        note(kind, "defect")
        problems.push(`${kind} ${i}: ${Cause.pretty(exit.cause)}`)
        return
      }
      const failure = Cause.failureOption(exit.cause)
      const tag = Option.isSome(failure) ? String((failure.value as { _tag?: unknown })._tag) : "no failure"
      note(kind, tag)
      if (!expectedFailures.has(tag)) problems.push(`${kind} ${i}: unexpected ${tag}`)
      // what a failed stream delivered must be a faithful part of the answer
      if (items !== undefined && items.length > 0) {
        const faithful = kind === "batchSemanticEmbedStream"
          ? faithfulBatches(items, ref.items ?? [])
          : json(items) === json((ref.items ?? []).slice(0, items.length))
        if (!faithful) {
          lost++
          problems.push(`${kind} ${i}: the events delivered before ${tag} are not the answer's`)
        }
      }
    }), { concurrency, discard: true })

  const elapsed = (Date.now() - started) / 1000
  yield* Fiber.interrupt(sampler)
  const requests = (yield* fake.requests).length
  const faultsInjected = new Map<string, number>()
  for (const slot of slots.slice(0, requests)) {
    if (slot !== undefined) faultsInjected.set(slot[0], (faultsInjected.get(slot[0]) ?? 0) + 1)
  }
  const injected = [...faultsInjected.values()].reduce((a, b) => a + b, 0)

  yield* Scope.close(clientScope, Exit.void)
  let open = yield* server.openConnections
  for (let i = 0; i < 250 && open > 0; i++) {
    yield* Effect.sleep("20 millis")
    open = yield* server.openConnections
  }

  const table = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([key, n]) => `    ${key.padEnd(28)} ${n}`).join("\n")
  console.log(`soak: seed ${seed}, ${calls} calls at concurrency ${concurrency}, fault rate ${faultRate}, ${elapsed.toFixed(1)} s`)
  console.log(`  calls:                 ${done}`)
  console.log(`  requests sent:         ${requests}`)
  console.log(`  faults injected:       ${injected}`)
  console.log(table(faultsInjected))
  console.log(`  outcomes by class:`)
  console.log(table(outcomes))
  console.log(`  outcomes by call:`)
  for (const [kind, map] of byKind) {
    console.log(`    ${kind}: ${[...map].map(([k, n]) => `${k} ${n}`).join(", ")}`)
  }
  console.log(`  peak open connections: ${peak} (limit ${connectionLimit})`)
  console.log(`  open after close:      ${open}`)
  console.log(`  lost results:          ${lost}`)
  for (const problem of problems.slice(0, 20)) console.log(`  ! ${problem}`)
  const ok = lost === 0 && problems.length === 0 && done === calls && peak <= connectionLimit && open === 0
  return ok
})

/** Whole, distinct batches, each equal to the fault-free answer's batch at its offset. */
const faithfulBatches = (items: ReadonlyArray<unknown>, ref: ReadonlyArray<unknown>) => {
  const byOffset = new Map(ref.map((batch) => [(batch as { offset: number }).offset, json(batch)]))
  const offsets = items.map((batch) => (batch as { offset: number }).offset)
  return new Set(offsets).size === offsets.length && items.every((batch) => byOffset.get((batch as { offset: number }).offset) === json(batch))
}

const main = program.pipe(
  Effect.provide(Loopback.layer().pipe(Layer.provideMerge(FakeServer.layer()))),
  Effect.scoped
)

Effect.runPromise(main).then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    console.error(error)
    process.exit(2)
  }
)
