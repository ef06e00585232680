/**
 * Test support: an embedded fake Aleph Alpha server, served in memory or on 127.0.0.1, and
 * test layers that wire a `Client` to it.
 */
export * as AlephAlphaTest from "./AlephAlphaTest.js"
export * as FakeConnection from "./FakeConnection.js"
export * as FakeServer from "./FakeServer.js"
export * as Fault from "./Fault.js"
export * as InMemory from "./InMemory.js"
export * as Loopback from "./Loopback.js"
