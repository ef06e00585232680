// Generated from README.md by test/Examples.test.ts (`npx vitest run -u test/Examples.test.ts`).
import { readFileSync } from "node:fs"
import { Redacted } from "effect"
import { AsyncClient } from "../../src/index.js"

// a PhariaAI installation behind an internal CA that asks for a client certificate
export const onPremises = () =>
  new AsyncClient({
    token: process.env.PHARIA_TOKEN ?? "",
    host: "https://inference.pharia.corp.example/v1",
    ca: readFileSync("/etc/pki/corp-root-ca.pem", "utf8"),
    cert: readFileSync("/etc/pki/pharia-client.pem", "utf8"),
    key: Redacted.make(readFileSync("/etc/pki/pharia-client.key", "utf8"))
  })
