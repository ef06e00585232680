/**
 * Finds and reads the recorded real-API traffic (`../shared/cassettes`, or the folder named by
 * `ALEPH_ALPHA_CASSETTES`). The recordings are not ours to commit: they are read at test time.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  /** The path without a leading `/v1`: match on this. */
  readonly endpoint: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string>>
  readonly body: unknown
}

export interface RecordedResponse {
  readonly status: number
  readonly content_type: string
  readonly body_json: unknown
  readonly body_text: string | null
}

export interface Interaction {
  readonly request: RecordedRequest
  readonly response: RecordedResponse
}

export interface Cassette {
  /** Relative to the cassettes folder, e.g. `complete/test_complete.json`. */
  readonly file: string
  readonly name: string
  readonly source_test: string
  readonly intent: string
  readonly interactions: ReadonlyArray<Interaction>
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

/** Where the recordings are, or why they are not available. */
export const locate = ():
  | { readonly found: true; readonly cassettes: string; readonly fixtures: string }
  | { readonly found: false; readonly reason: string } =>
{
  const fromEnv = process.env.ALEPH_ALPHA_CASSETTES
  const cassettes = fromEnv !== undefined && fromEnv !== ""
    ? path.resolve(fromEnv)
    : path.resolve(repoRoot, "../shared/cassettes")
  if (!fs.existsSync(cassettes)) {
    return {
      found: false,
      reason: `replay suite skipped: no recordings at ${cassettes} (set ALEPH_ALPHA_CASSETTES to the cassettes folder)`
    }
  }
  return { found: true, cassettes, fixtures: path.resolve(cassettes, "../fixtures") }
}

const walk = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(path.join(dir, entry.name)) : entry.name.endsWith(".json") ? [path.join(dir, entry.name)] : []
  )

/** Every `*.json` recording below `dir`, sorted by path. */
export const load = (dir: string): ReadonlyArray<Cassette> =>
  walk(dir).sort().map((file) => ({
    ...(JSON.parse(fs.readFileSync(file, "utf8")) as Omit<Cassette, "file">),
    file: path.relative(dir, file)
  }))
