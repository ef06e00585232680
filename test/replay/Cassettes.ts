/**
 * Reads the recorded real-API traffic kept in `test/replay/cassettes` (see its README for
 * their origin) and the image they need in `test/fixtures`.
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

/** The recordings, one `*.json` file per recorded conversation below it. */
export const cassettesDir = path.resolve(repoRoot, "test/replay/cassettes")

/** The files the recordings' requests carry (`dog-and-cat-cover.jpg`). */
export const fixturesDir = path.resolve(repoRoot, "test/fixtures")

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
