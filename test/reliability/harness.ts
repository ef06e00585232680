/**
 * The reliability suite's harness: a `Client` over the fake server (in memory on `TestClock`,
 * or on loopback over undici), a driver that moves virtual time from one scheduled wake-up to
 * the next, and an observer that records everything a user could print or export — error
 * renderings, Debug-level log lines, the spans and attributes an in-memory tracer saw — so every
 * case can check that the token appears nowhere.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { expect } from "@effect/vitest"
import {
  Cause,
  Chunk,
  Clock,
  Context,
  Effect,
  Exit,
  Fiber,
  Inspectable,
  Layer,
  Logger,
  LogLevel,
  Option,
  Redacted,
  Scope,
  Stream,
  TestClock,
  Tracer
} from "effect"
import type { AlephAlphaError, AlephAlphaHttpOptions, ClientService } from "../../src/index.js"
import { Client } from "../../src/index.js"
import { FakeServer, InMemory } from "../../src/testing/index.js"
import { UndiciHttpClient } from "../../src/node/index.js"
import { Loopback } from "../../src/testing/node/index.js"
import type * as Net from "node:net"

/** The distinctive token every case runs with. */
export const SECRET = "tok-RELIABILITY-5e1d9c3a-MUST-NOT-LEAK"
export const token = Redacted.make(SECRET)

// ---------------------------------------------------------------------------------------------
// the observer: spans, logs and renderings

/** A span as the in-memory tracer recorded it. */
export interface RecordedSpan {
  readonly name: string
  readonly kind: Tracer.SpanKind
  readonly attributes: Map<string, unknown>
  readonly events: Array<{ readonly name: string; readonly attributes: Record<string, unknown> }>
  exit: Exit.Exit<unknown, unknown> | undefined
}

class RecordingSpan implements Tracer.Span {
  readonly _tag = "Span"
  readonly traceId: string
  readonly sampled = true
  status: Tracer.SpanStatus
  readonly links: Array<Tracer.SpanLink>
  constructor(
    readonly record: RecordedSpan,
    readonly spanId: string,
    readonly parent: Option.Option<Tracer.AnySpan>,
    readonly context: Context.Context<never>,
    links: ReadonlyArray<Tracer.SpanLink>,
    startTime: bigint
  ) {
    this.traceId = Option.match(parent, { onNone: () => `trace-${spanId}`, onSome: (p) => p.traceId })
    this.status = { _tag: "Started", startTime }
    this.links = [...links]
  }
  get name() {
    return this.record.name
  }
  get kind() {
    return this.record.kind
  }
  get attributes(): ReadonlyMap<string, unknown> {
    return this.record.attributes
  }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.status = { _tag: "Ended", startTime: this.status.startTime, endTime, exit }
    this.record.exit = exit
  }
  attribute(key: string, value: unknown): void {
    this.record.attributes.set(key, value)
  }
  event(name: string, _startTime: bigint, attributes?: Record<string, unknown>): void {
    this.record.events.push({ name, attributes: attributes ?? {} })
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.links.push(...links)
  }
}

const show = (value: unknown): string => {
  if (typeof value === "string") return value
  try {
    return `${Inspectable.format(value)} ${JSON.stringify(value, (_, v) => typeof v === "bigint" ? String(v) : v)}`
  } catch {
    return Inspectable.format(value)
  }
}

/** Every way a user might print an outcome: the error, its JSON, the cause, the exit. */
export const renderings = (exit: Exit.Exit<unknown, unknown>): ReadonlyArray<string> => {
  if (Exit.isSuccess(exit)) return []
  const out = [Cause.pretty(exit.cause, { renderErrorCause: true }), Inspectable.format(exit), show(exit)]
  for (const failure of [...Cause.failures(exit.cause), ...Cause.defects(exit.cause)]) {
    out.push(String(failure), show(failure))
    if (failure instanceof Error) {
      out.push(failure.message, failure.stack ?? "", show((failure as { toJSON?: () => unknown }).toJSON?.()))
      if (failure.cause !== undefined) out.push(show(failure.cause))
    }
  }
  return out
}

/** Records spans (with an in-memory tracer), Debug-level log lines and outcome renderings. */
export class Observer {
  readonly spans: Array<RecordedSpan> = []
  readonly logs: Array<string> = []
  readonly outputs: Array<string> = []
  private ids = 0

  readonly tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const record: RecordedSpan = {
        name,
        kind,
        attributes: new Map(Object.entries(options?.attributes ?? {})),
        events: [],
        exit: undefined
      }
      this.spans.push(record)
      return new RecordingSpan(record, `span-${++this.ids}`, parent, context, links, startTime)
    },
    context: (f) => f()
  })

  readonly logger = Logger.make<unknown, void>((options) => {
    this.logs.push(
      Logger.logfmtLogger.log(options),
      Logger.jsonLogger.log(options),
      Cause.pretty(options.cause, { renderErrorCause: true })
    )
  })

  /** Runs `effect` with this tracer and logger, logging at Debug level. */
  around<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return effect.pipe(
      Effect.withTracer(this.tracer),
      Logger.withMinimumLogLevel(LogLevel.Debug),
      Effect.provide(Logger.replace(Logger.defaultLogger, this.logger))
    )
  }

  /** Renders an outcome for the scan and logs it at Debug level, as a user's program might. */
  outcome(exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> {
    this.outputs.push(...renderings(exit))
    return Exit.isSuccess(exit)
      ? Effect.logDebug("call succeeded")
      : Effect.logDebug("call failed", exit.cause).pipe(Effect.annotateLogs("error", Cause.squash(exit.cause)))
  }

  /** Everything recorded, as text. */
  texts(): ReadonlyArray<string> {
    const spans = this.spans.flatMap((span) => [
      span.name,
      ...[...span.attributes].map(([key, value]) => `${key}=${show(value)}`),
      ...span.events.map((event) => `${event.name} ${show(event.attributes)}`),
      // what an exporter records of a span's end: the failure's name, message and stack
      ...(span.exit === undefined || Exit.isSuccess(span.exit)
        ? []
        : [
          Cause.pretty(span.exit.cause),
          ...Cause.prettyErrors(span.exit.cause).flatMap((error) => [error.name, error.message, error.stack ?? ""])
        ])
    ])
    return [...this.outputs, ...this.logs, ...spans]
  }

  /** The tracer saw the `authorization` request header of the API calls, redacted. */
  expectAuthorizationRedacted(): void {
    const values = this.spans.flatMap((span) => {
      const value = span.attributes.get("http.request.header.authorization")
      return value === undefined ? [] : [show(value)]
    })
    expect(values.length, "spans with an authorization attribute").toBeGreaterThan(0)
    for (const value of values) expect(value).not.toContain(SECRET)
  }

  /** The token appears nowhere; and there was something to look at. */
  expectClean(): void {
    expect(this.spans.length, "the tracer recorded spans").toBeGreaterThan(0)
    expect(this.logs.length, "Debug-level lines were logged").toBeGreaterThan(0)
    const leaks = this.texts().filter((text) => text.includes(SECRET)).map((text) => {
      const at = text.indexOf(SECRET)
      return text.slice(Math.max(0, at - 300), at + SECRET.length + 50)
    })
    expect(leaks, "texts containing the token").toEqual([])
  }
}

/** Runs `f` under a fresh observer and checks, at the end, that the token leaked nowhere. */
export const observed = <A, E, R>(f: (observer: Observer) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    const observer = new Observer()
    return observer.around(f(observer)).pipe(Effect.tap(() => Effect.sync(() => observer.expectClean())))
  })

// ---------------------------------------------------------------------------------------------
// outcomes

/** The typed failure of `exit`, which must be a plain failure: no defect, no interruption. */
export const failureOf = (exit: Exit.Exit<unknown, AlephAlphaError>): AlephAlphaError => {
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got a success: ${Inspectable.format(exit.value)}`)
  expect(Cause.defects(exit.cause).length, Cause.pretty(exit.cause)).toBe(0)
  expect(Cause.isInterrupted(exit.cause), Cause.pretty(exit.cause)).toBe(false)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`no typed failure in ${Cause.pretty(exit.cause)}`)
  return failure.value
}

/** The value of `exit`, which must be a success. */
export const valueOf = <A>(exit: Exit.Exit<A, unknown>): A => {
  if (Exit.isFailure(exit)) throw new Error(`expected a success, got ${Cause.pretty(exit.cause)}`)
  return exit.value
}

/** Gaps between consecutive times. */
export const gaps = (times: ReadonlyArray<number>): ReadonlyArray<number> => times.slice(1).map((t, i) => t - times[i]!)

/** The default policy's delays (jitter pinned at 1.0) before retry 1, 2, … */
export const policyDelays = (retries: number, initial = 250): ReadonlyArray<number> =>
  Array.from({ length: retries }, (_, k) => Math.min(initial * 2 ** k, 30_000))

export const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a + b, 0)

// ---------------------------------------------------------------------------------------------
// harnesses

/** One attempt as the client sent it: when (by the client's clock) and where. */
export interface Attempt {
  readonly at: number
  readonly method: string
  readonly url: string
}

export interface Harness {
  readonly client: ClientService
  readonly fake: FakeServer.Service
  /** Exchanges (in memory) or TCP connections (loopback) still open. */
  readonly openConnections: Effect.Effect<number>
  /** The attempts the client made since the last `reset`. */
  readonly attempts: Effect.Effect<ReadonlyArray<Attempt>>
  /** Forgets attempts, recorded requests and queued faults. */
  readonly reset: Effect.Effect<void>
  /**
   * Runs one call to its end — on `TestClock`, moving virtual time from one wake-up to the
   * next — and returns its exit and how long it took (virtual ms in memory, real ms on
   * loopback). The outcome is rendered and logged for the token scan.
   */
  readonly run: <A, E>(
    effect: Effect.Effect<A, E>
  ) => Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly elapsed: number }>
  /** `run` for a stream: also what it delivered before it ended or failed. */
  readonly runStream: <A, E>(
    stream: Stream.Stream<A, E>
  ) => Effect.Effect<{ readonly exit: Exit.Exit<void, E>; readonly received: ReadonlyArray<A>; readonly elapsed: number }>
  /** Waits until no connection is open and checks it (loopback: after closing the client's pool). */
  readonly expectSettled: Effect.Effect<void>
}

export interface HarnessOptions {
  readonly client?: Partial<AlephAlphaHttpOptions> | undefined
  readonly server?: FakeServer.Options | undefined
}

const recordingAttempts = (attempts: Array<Attempt>) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.tapRequest(client, (request) =>
        Effect.map(Clock.currentTimeMillis, (at) => {
          attempts.push({ at, method: request.method, url: request.url })
        })))
  )

const macrotask = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 0)))

/**
 * Runs `effect` on `TestClock`, letting the in-memory server's promise-driven work happen in
 * real macrotasks and, whenever nothing moves any more, advancing the clock exactly to the next
 * scheduled wake-up. So waits are measured exactly, and nothing fires early.
 */
export const drive = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  probe: Effect.Effect<unknown> = Effect.void
): Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly elapsed: number }, never, R> =>
  Effect.gen(function*() {
    const start = yield* Clock.currentTimeMillis
    const fiber = yield* Effect.fork(effect)
    let last = ""
    let quiet = 0
    for (let round = 0; round < 200_000; round++) {
      yield* macrotask
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) return { exit: done.value, elapsed: (yield* Clock.currentTimeMillis) - start }
      const sleeps = Chunk.toReadonlyArray(yield* TestClock.sleeps())
      const fingerprint = JSON.stringify([yield* probe, sleeps])
      if (fingerprint !== last) {
        last = fingerprint
        quiet = 0
        continue
      }
      if (++quiet < 4) continue
      if (sleeps.length === 0) {
        yield* Fiber.interrupt(fiber)
        return yield* Effect.dieMessage("stuck: nothing sleeps and nothing moves")
      }
      const now = yield* Clock.currentTimeMillis
      yield* TestClock.adjust(Math.max(0, Math.min(...sleeps) - now))
      quiet = 0
    }
    yield* Fiber.interrupt(fiber)
    return yield* Effect.dieMessage("the call did not finish")
  })

type Timed = <A, E>(
  effect: Effect.Effect<A, E>,
  progress?: () => unknown
) => Effect.Effect<{ readonly exit: Exit.Exit<A, E>; readonly elapsed: number }>

const runners = (observer: Observer, timed: Timed): Pick<Harness, "run" | "runStream"> => ({
  run: (effect) => Effect.tap(timed(effect), ({ exit }) => observer.outcome(exit)),
  runStream: <A, E>(stream: Stream.Stream<A, E>) =>
    Effect.suspend(() => {
      const received: Array<A> = []
      return timed(Stream.runForEach(stream, (a) => Effect.sync(() => received.push(a))), () => received.length).pipe(
        Effect.tap(({ exit }) => observer.outcome(exit)),
        Effect.map(({ elapsed, exit }) => ({ exit, elapsed, received }))
      )
    })
})

/** `Client` over the fake server in memory; virtual time (`TestClock`) for everything. */
export const inMemory = (
  observer: Observer,
  options: HarnessOptions = {}
): Effect.Effect<Harness, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fake = yield* FakeServer.make(options.server)
    const transport = yield* InMemory.make(fake)
    const attempts: Array<Attempt> = []
    const layer = Client.layer({ token, host: `${InMemory.url}/v1`, ...options.client }).pipe(
      Layer.provide(recordingAttempts(attempts)),
      Layer.provide(InMemory.layerClientFrom(transport))
    )
    const context = yield* Effect.orDie(Layer.build(layer))
    const probe = Effect.all([transport.openConnections, Effect.map(fake.requests, (r) => r.length)]).pipe(
      Effect.map((state) => [...state, attempts.length])
    )
    return {
      client: Context.get(context, Client),
      fake,
      openConnections: transport.openConnections,
      attempts: Effect.sync(() => attempts.slice()),
      reset: Effect.zipRight(fake.reset, Effect.sync(() => attempts.splice(0))),
      ...runners(observer, (effect, progress) =>
        drive(effect, progress === undefined ? probe : Effect.map(probe, (state) => [...state, progress()]))),
      expectSettled: Effect.gen(function*() {
        for (let i = 0; i < 20 && (yield* transport.openConnections) > 0; i++) yield* macrotask
        expect(yield* transport.openConnections, "open in-memory exchanges").toBe(0)
      })
    }
  })

/** Polls (real time) until `open` is at most `target` (default 0), for at most 5 s; returns the last count. */
export const settle = (open: Effect.Effect<number>, target = 0): Effect.Effect<number> =>
  Effect.gen(function*() {
    for (let i = 0; i < 250; i++) {
      const n = yield* open
      if (n <= target) return n
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
    }
    return yield* open
  })

/**
 * `Client` over undici and the fake server on 127.0.0.1 (real time: run under `it.live`).
 * `expectSettled` closes the client's pool, then waits for the server's connections to close.
 */
export const loopback = (
  observer: Observer,
  options: HarnessOptions & { readonly connectionLimit?: number | undefined } = {}
): Effect.Effect<Harness & { readonly server: Loopback.LoopbackServer }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fake = yield* FakeServer.make(options.server)
    const server = yield* Loopback.listen().pipe(Effect.provideService(FakeServer.FakeServer, fake))
    const attempts: Array<Attempt> = []
    const clientScope = yield* Scope.fork(yield* Effect.scope, { _tag: "Sequential" })
    const layer = Client.layer({ token, host: `${server.url}/v1`, ...options.client }).pipe(
      Layer.provide(recordingAttempts(attempts)),
      Layer.provide(UndiciHttpClient.layer({ connectionLimit: options.connectionLimit ?? 8, proxy: false }))
    )
    const context = yield* Effect.orDie(Layer.buildWithScope(layer, clientScope))
    return {
      client: Context.get(context, Client),
      fake,
      server,
      openConnections: server.openConnections,
      attempts: Effect.sync(() => attempts.slice()),
      reset: Effect.zipRight(fake.reset, Effect.sync(() => attempts.splice(0))),
      ...runners(observer, (effect) =>
        Effect.gen(function*() {
          const start = Date.now()
          const exit = yield* Effect.exit(effect)
          return { exit, elapsed: Date.now() - start }
        })),
      expectSettled: Effect.gen(function*() {
        yield* Scope.close(clientScope, Exit.void)
        expect(yield* settle(server.openConnections), "open loopback connections").toBe(0)
      })
    }
  })


// ---------------------------------------------------------------------------------------------
// servers of a test's own

/** A server of a test's own, listening on 127.0.0.1. */
export interface OwnServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Destroys the connections still open and stops listening. */
  readonly close: () => Promise<void>
}

/**
 * Listens with `server` (a `node:http` or `node:net` server answering as the test needs) on a
 * free port of 127.0.0.1, keeping its sockets so `close` ends even with answers still pending.
 */
export const listenOnLoopback = async (server: Net.Server): Promise<OwnServer> => {
  const sockets = new Set<Net.Socket>()
  server.on("connection", (socket: Net.Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as Net.AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
