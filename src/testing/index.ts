/**
 * Test support: an embedded fake Aleph Alpha server, served in memory, and test layers that
 * wire a `Client` to it. Runs anywhere; the server on 127.0.0.1 is in
 * `aleph-alpha-client/testing/node`.
 */
export * as AlephAlphaTest from "./AlephAlphaTest.js"
export * as FakeConnection from "./FakeConnection.js"
export * as FakeServer from "./FakeServer.js"
export * as Fault from "./Fault.js"
export * as InMemory from "./InMemory.js"
