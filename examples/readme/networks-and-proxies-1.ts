// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { Layer, Redacted } from "effect"
import { AsyncClient, Client } from "../../src/index.js"
import { UndiciHttpClient } from "../../src/node/index.js"

// through an authenticating proxy, except for hosts inside the network
export const viaProxy = Client.layer({ token: Redacted.make(process.env.ALEPH_ALPHA_TOKEN ?? "") }).pipe(
  Layer.provide(UndiciHttpClient.layer({
    proxy: {
      url: "http://proxy.corp.example:3128",
      username: "svc-pharia",
      password: Redacted.make(process.env.PROXY_PASSWORD ?? ""),
      noProxy: "localhost,.corp.example"
    }
  }))
)

// AsyncClient on Node follows HTTPS_PROXY and NO_PROXY when they are set; proxy: false ignores them
export const direct = () => new AsyncClient({ token: process.env.ALEPH_ALPHA_TOKEN ?? "", proxy: false })
