/**
 * `AsyncClient` as the package's Node build exports it (the `"node"` export condition): the
 * same class with the undici transport as its default. undici itself loads when a client is
 * made, so importing the package stays cheap.
 */
import * as UndiciHttpClient from "../node/UndiciHttpClient.js"
import { AsyncClient as AsyncClientBase, type UndiciTransport } from "./AsyncClient.js"

export class AsyncClient extends AsyncClientBase {
  protected static override readonly undiciTransport: UndiciTransport = UndiciHttpClient.layer
}
