// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Effect, Layer, Redacted, Schedule } from "effect"
import { Client, retrySchedule, withRetryAfter } from "../../src/index.js"
import { UndiciHttpClient } from "../../src/node/index.js"

const token = Redacted.make(process.env.ALEPH_ALPHA_TOKEN ?? "")

// the default shape with other numbers
export const patient = Client.layer({
  token,
  retrySchedule: retrySchedule({ totalRetries: 12, initialDelay: "1 second", maxDelay: "1 minute" })
})

// any Schedule; wrap it in withRetryAfter to keep honouring the server's Retry-After
export const fixed = Client.layer({
  token,
  requestTimeout: "30 seconds",
  retrySchedule: withRetryAfter(Schedule.spaced("2 seconds").pipe(Schedule.intersect(Schedule.recurs(5))))
}).pipe(Layer.provide(UndiciHttpClient.layer({ connectionLimit: 10, verifySsl: true })))

// no retries at all
export const once = Client.layer({ token, totalRetries: 0 })

// one deadline for a call with all its attempts
export const versionWithin10Seconds = Effect.flatMap(Client, (client) => client.getVersion()).pipe(
  Effect.timeout("10 seconds")
)
