/**
 * Serves a recording's answers to the client under test, as the cassettes README describes:
 * each request is matched by method, endpoint and normalised body against the unused
 * interactions (not by position: concurrent requests were recorded in the order they finished),
 * and SSE bodies go out in small seeded random chunks split anywhere, even inside a character.
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect } from "effect"
import { isDeepStrictEqual } from "node:util"
import type { Cassette, Interaction } from "./Cassettes.js"
import { normalizeBody } from "./Normalize.js"

/** A request nothing in the recording matched: what was sent, and the nearest candidate. */
export interface Mismatch {
  readonly method: string
  readonly endpoint: string
  readonly sent: unknown
  readonly candidate: unknown
}

export interface ReplayServer {
  readonly client: HttpClient.HttpClient
  /** Requests no unused interaction matched (answered with a 599 so the call fails). */
  readonly mismatches: ReadonlyArray<Mismatch>
  /** Interactions no request used. */
  readonly unused: () => ReadonlyArray<Interaction>
  /** How many requests were answered from the recording. */
  readonly served: () => number
}

/** A small seeded PRNG (mulberry32), so a failing split reproduces. */
export const random = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const hash = (text: string) => {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

/** The bytes of `text` in chunks of 1–48 bytes, cut anywhere. */
const chunked = (text: string, next: () => number): ReadableStream<Uint8Array> => {
  const bytes = new TextEncoder().encode(text)
  return new ReadableStream({
    start(controller) {
      let offset = 0
      while (offset < bytes.length) {
        const size = 1 + Math.floor(next() * 48)
        controller.enqueue(bytes.slice(offset, offset + size))
        offset += size
      }
      controller.close()
    }
  })
}

/** Strips the client's base path and a leading `/v1`. */
const endpointOf = (pathname: string) => pathname.replace(/^\/v1(?=\/)/, "")

export const make = (cassette: Cassette): ReplayServer => {
  const used = new Set<number>()
  const mismatches: Array<Mismatch> = []
  const next = random(hash(cassette.name))

  const respond = (request: Parameters<Parameters<typeof HttpClient.make>[0]>[0], interaction: Interaction) => {
    const { response } = interaction
    const headers = { "content-type": response.content_type }
    const body = response.body_text !== null
      ? response.content_type.startsWith("text/event-stream")
        ? chunked(response.body_text, next)
        : response.body_text
      : response.body_json === null
      ? ""
      : JSON.stringify(response.body_json)
    return HttpClientResponse.fromWeb(request, new Response(body, { status: response.status, headers }))
  }

  const client = HttpClient.make((request, url) =>
    Effect.suspend(() => {
      const endpoint = endpointOf(url.pathname)
      const text = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : undefined
      const sent = text === undefined || text === "" ? null : JSON.parse(text) as unknown
      const normalized = normalizeBody(endpoint, sent)
      let candidate: Interaction | undefined
      for (const [index, interaction] of cassette.interactions.entries()) {
        if (used.has(index)) continue
        if (interaction.request.method !== request.method || interaction.request.endpoint !== endpoint) continue
        candidate ??= interaction
        if (isDeepStrictEqual(normalizeBody(endpoint, interaction.request.body), normalized)) {
          used.add(index)
          return Effect.succeed(respond(request, interaction))
        }
      }
      mismatches.push({
        method: request.method,
        endpoint,
        sent: normalized,
        candidate: candidate === undefined ? "(no unused interaction with this method and endpoint)" : normalizeBody(endpoint, candidate.request.body)
      })
      return Effect.succeed(
        HttpClientResponse.fromWeb(request, new Response("no recorded interaction matches", { status: 599 }))
      )
    })
  )

  return {
    client,
    mismatches,
    unused: () => cassette.interactions.filter((_, index) => !used.has(index)),
    served: () => used.size
  }
}

