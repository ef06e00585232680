/**
 * The `Models` family: which models the API serves and which API version it speaks.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { type ApiError, type VersionCheckError, VersionMismatchError } from "../errors/AlephAlphaError.js"
import { minApiVersion, type ModelInfo, ModelsResponse } from "../schema/Models.js"
import { AlephAlphaHttp } from "./AlephAlphaHttp.js"
import * as Telemetry from "./Telemetry.js"

/** The methods of the `Models` family. */
export interface ModelsService {
  /** `GET models_available`: the models this API serves. */
  readonly models: () => Effect.Effect<ReadonlyArray<ModelInfo>, ApiError>
  /**
   * `GET version`: the API version, as the server reports it (e.g. `"1.19.0"`). Taken as text,
   * so a `DecodeError` only for an answer past `maxResponseSize`.
   */
  readonly getVersion: () => Effect.Effect<string, ApiError>
  /**
   * Checks that the API is at least version 1.19.0 of the same major version, as the Python
   * client's `validate_version` does. Never called automatically. Returns the version.
   */
  readonly validateVersion: () => Effect.Effect<string, VersionCheckError>
}

const parseSemver = (version: string): readonly [number, number, number] | undefined => {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version)
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])]
}

/** Whether `found` satisfies `required`: the same major version, and not older. */
export const isSupportedVersion = (found: string, required: string = minApiVersion): boolean => {
  const a = parseSemver(found)
  const b = parseSemver(required)
  if (a === undefined || b === undefined || a[0] !== b[0]) return false
  return a[1] !== b[1] ? a[1] > b[1] : a[2] >= b[2]
}

/** The `Models` family's tag. */
export class Models extends Context.Tag("aleph-alpha-client/Models")<Models, ModelsService>() {
  static readonly make: Effect.Effect<ModelsService, never, AlephAlphaHttp> = Effect.gen(function*() {
    const http = yield* AlephAlphaHttp
    const version = Effect.map(http.getText("version"), (text) => text.trim())
    return {
      models: () =>
        http.getJson("models_available", ModelsResponse).pipe(
          Telemetry.span(http.options, "models", { operation: "models" })
        ),
      getVersion: () => version.pipe(Telemetry.span(http.options, "getVersion", { operation: "get_version" })),
      validateVersion: () =>
        Effect.filterOrFail(
          version,
          (found) => isSupportedVersion(found),
          (found) => new VersionMismatchError({ found, required: minApiVersion })
        ).pipe(Telemetry.span(http.options, "validateVersion", { operation: "validate_version" }))
    }
  })

  static readonly layer: Layer.Layer<Models, never, AlephAlphaHttp> = Layer.effect(Models, Models.make)
}
