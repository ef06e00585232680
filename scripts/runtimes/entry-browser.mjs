// The checks in a browser page: run against the fake server named by `?host=` (another
// origin, so every call is a CORS request) and published as `window.runtimeResults`.
import { runChecks } from "./checks.mjs"

const host = new URL(location.href).searchParams.get("host")
runChecks(host).then(
  (results) => {
    window.runtimeResults = results
  },
  (error) => {
    window.runtimeResults = [{ name: "page", ok: false, error: String(error) }]
  }
)
