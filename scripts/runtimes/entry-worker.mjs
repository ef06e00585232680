// The checks in a Cloudflare Worker: each request runs them against `env.FAKE_SERVER_URL` and
// answers their results as JSON.
import { runChecks } from "./checks.mjs"

export default {
  async fetch(_request, env) {
    return Response.json(await runChecks(env.FAKE_SERVER_URL))
  }
}
