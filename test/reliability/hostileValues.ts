/**
 * Hostile values for the property tests of issue 17, point 2: what untyped JavaScript can pass
 * (throwing getters, `Proxy` objects, revoked proxies, cycles, values nested 100,000 levels
 * deep), each as a labelled recipe built afresh for every call.
 */
import { Inspectable } from "effect"
import * as fc from "fast-check"
import {
  BatchSemanticEmbeddingRequest,
  ChatRequest,
  CompletionRequest,
  DetokenizationRequest,
  EmbeddingRequest,
  EmbeddingV2Request,
  EvaluationRequest,
  ExplanationRequest,
  InstructableEmbeddingRequest,
  RerankRequest,
  SemanticEmbeddingRequest,
  SteeringConceptCreationRequest,
  TokenizationRequest,
  TranslationRequest
} from "../../src/index.js"

// ---------------------------------------------------------------------------------------------
// hostile values

/** A value nested `depth` levels deep, built without recursion. */
export const nested = (depth: number, wrap: (inner: unknown) => unknown): unknown => {
  let value: unknown = 0
  for (let i = 0; i < depth; i++) value = wrap(value)
  return value
}
export const deepArray = nested(100_000, (inner) => [inner])
export const deepObject = nested(100_000, (inner) => ({ a: inner }))
export const deepJson = "[".repeat(100_000) + "]".repeat(100_000)

export const cycle: Record<string, unknown> = { text: "x" }
cycle.self = cycle

/** Values a getter or trap may throw: errors, and things that are not (even one that throws when printed). */
export const thrownValues: ReadonlyArray<() => unknown> = [
  () => new TypeError("a getter threw"),
  () => new RangeError("Maximum call stack size exceeded"),
  () => Symbol("thrown"),
  () => ({ toString: () => { throw new Error("toString threw") } }),
  () => new Proxy({}, { getPrototypeOf: () => { throw new Error("trap of a thrown proxy") } })
]

export const throwing = (index: number) => () => {
  throw thrownValues[index % thrownValues.length]!()
}

/** An object whose `key` throws when read; with `proto`, an instance of that class in appearance. */
export const withThrowingGetter = (key: string, thrown: number, proto: object | null = Object.prototype) =>
  Object.create(proto, { [key]: { get: throwing(thrown), enumerable: true, configurable: true } }) as unknown

export const traps = ["get", "ownKeys", "getPrototypeOf", "has", "getOwnPropertyDescriptor"] as const

/** `target` behind a Proxy whose `trap` throws (for `get`: only when `key` is read, if given). */
export const proxyOf = (target: object, trap: (typeof traps)[number], thrown: number, key?: string) =>
  new Proxy(target, {
    [trap]: (...args: Array<unknown>) => {
      if (trap === "get" && key !== undefined && args[1] !== key) return Reflect.get(...(args as [object, PropertyKey]))
      return throwing(thrown)()
    }
  })

export const revoked = (() => {
  const { proxy, revoke } = Proxy.revocable({}, {})
  revoke()
  return proxy
})()

export const staticHostile: ReadonlyArray<unknown> = [
  deepArray,
  deepObject,
  cycle,
  revoked,
  null,
  undefined,
  42,
  "",
  ".",
  "..",
  "a\u0000b",
  "line\nbreak",
  "\ud800",
  Symbol("model"),
  BigInt(7),
  ["m"],
  {},
  () => "a function",
  new Date(NaN),
  Array.from({ length: 50_000 }, (_, i) => i)
]

/** The request classes, to make a thrower look like an instance and to pick fields that exist. */
export const requestClasses = [
  CompletionRequest,
  ChatRequest,
  EmbeddingRequest,
  SemanticEmbeddingRequest,
  BatchSemanticEmbeddingRequest,
  InstructableEmbeddingRequest,
  EmbeddingV2Request,
  ExplanationRequest,
  EvaluationRequest,
  TokenizationRequest,
  DetokenizationRequest,
  TranslationRequest,
  RerankRequest,
  SteeringConceptCreationRequest
] as const

export const fieldNames = ["prompt", "messages", "model", "maximumTokens", "prompts", "input", "query", "examples", "tokenIds", "source"]

/**
 * A hostile value as fast-check sees it: a recipe with a label. fast-check itself probes and
 * prints the values it generates, which a throwing proxy would break; the value is built for
 * each call instead.
 */
export class Hostile {
  constructor(readonly label: string, readonly make: () => unknown) {}
  [fc.toStringMethod]() {
    return this.label
  }
}

export const printable = (value: unknown) => {
  try {
    return Inspectable.format(value).slice(0, 120)
  } catch {
    return typeof value
  }
}

/** Anything: plain arbitrary values, throwing getters, proxies (bare or around a valid value), cycles, deep values. */
export const hostile = (valid: ReadonlyArray<unknown>, keys: ReadonlyArray<string> = fieldNames): fc.Arbitrary<Hostile> => {
  const targets = valid.filter((v): v is object => typeof v === "object" && v !== null)
  return fc.oneof(
    fc.nat({ max: staticHostile.length - 1 }).map((i) =>
      new Hostile(`hostile value ${i} (${printable(staticHostile[i])})`, () => staticHostile[i])
    ),
    fc.anything({ maxDepth: 3 }).map((value) => new Hostile(fc.stringify(value), () => value)),
    fc.tuple(fc.constantFrom(...keys), fc.nat(), fc.option(fc.constantFrom(...requestClasses), { nil: undefined }))
      .map(([key, thrown, C]) =>
        new Hostile(
          `${C?.name ?? "an object"} whose ${key} throws value ${thrown % thrownValues.length}`,
          () => withThrowingGetter(key, thrown, C === undefined ? Object.prototype : C.prototype)
        )
      ),
    fc.tuple(fc.constantFrom(...traps), fc.nat()).map(([trap, thrown]) =>
      new Hostile(`a proxy whose ${trap} throws value ${thrown % thrownValues.length}`, () => proxyOf({}, trap, thrown))
    ),
    // a valid value behind a proxy that throws on one field (or on every use of one trap)
    targets.length === 0
      ? fc.constant(new Hostile("a revoked proxy", () => revoked))
      : fc.tuple(fc.nat({ max: targets.length - 1 }), fc.constantFrom(...traps), fc.nat(), fc.constantFrom(...keys))
        .map(([i, trap, thrown, key]) =>
          new Hostile(
            `valid argument ${i} behind a proxy whose ${trap}${trap === "get" ? ` of ${key}` : ""} throws value ${thrown % thrownValues.length}`,
            () => proxyOf(targets[i]!, trap, thrown, key)
          )
        )
  )
}
