/**
 * `AsyncClient` as the package's Node build exports it (the `"node"` export condition): the
 * same class with the undici transport as its default. undici itself loads when a client is
 * made, so importing the package stays cheap.
 */
import * as Either from "effect/Either"
import * as UndiciHttpClient from "../node/UndiciHttpClient.js"
import { AsyncClient as AsyncClientBase, type UndiciTransport } from "./AsyncClient.js"

// checked now (a bad PEM, a proxy variable that is no URL), so `new AsyncClient` throws it
const undiciTransport: UndiciTransport = (options) =>
  Either.getOrThrowWith(UndiciHttpClient.layerChecked(options, "AsyncClient options"), (error) => error)

export class AsyncClient extends AsyncClientBase {
  protected static override readonly undiciTransport: UndiciTransport = undiciTransport
}
