/**
 * `aleph-alpha-client/testing/node`: the fake server on 127.0.0.1 (`Loopback`), for tests of
 * real connections through the undici transport, and for Promise code (`Loopback.start()`).
 * Node only.
 */
export * as Loopback from "./Loopback.js"
