// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { FetchHttpClient } from "@effect/platform"
import { Layer, Redacted } from "effect"
import { Client } from "../../src/index.js"
import { UndiciHttpClient } from "../../src/node/index.js"

export const AlephAlpha = Client.layer({
  token: Redacted.make(process.env.ALEPH_ALPHA_TOKEN ?? ""),
  host: "https://inference.example.com/v1",
  requestTimeout: "60 seconds"
}).pipe(Layer.provide(UndiciHttpClient.layer({ connectionLimit: 20 })))

// in browsers, Deno, Bun and workers, or anywhere else fetch works:
export const AlephAlphaFetch = Client.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
