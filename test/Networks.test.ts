/**
 * Proxies and TLS on the undici transport, against real components on 127.0.0.1: a forward
 * proxy (the `proxy` package, CONNECT and Basic auth) in front of the fake server, HTTPS
 * servers with a CA made here, a server that asks for a client certificate. The proxy
 * variables are set in each test only, and restored.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import type * as net from "node:net"
import * as path from "node:path"
import { createProxy } from "proxy"
import selfsigned from "selfsigned"
import { Client, Image, TransportError, ValidationError } from "../src/index.js"
import { AsyncClient, AsyncLoaders } from "../src/index.node.js"
import { UndiciHttpClient } from "../src/node/index.js"
import { Loopback } from "../src/testing/node/index.js"

const token = "test-token"

// ---------------------------------------------------------------------------------------------
// servers

interface Running {
  readonly url: string
  readonly close: () => Promise<void>
}

const listen = async (server: http.Server | https.Server): Promise<Running> => {
  const sockets = new Set<net.Socket>()
  server.on("connection", (socket: net.Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const scheme = server instanceof https.Server ? "https" : "http"
  return {
    url: `${scheme}://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** A forward proxy; `tunnels` lists the CONNECT targets it was asked for. */
const forwardProxy = async (credentials?: { readonly username: string; readonly password: string }) => {
  const server = createProxy(http.createServer())
  const tunnels: Array<string> = []
  server.on("connect", (request: http.IncomingMessage) => tunnels.push(request.url ?? ""))
  if (credentials !== undefined) {
    const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`
    server.authenticate = (request) => request.headers["proxy-authorization"] === expected
  }
  return { ...(await listen(server)), tunnels }
}

/** Runs `use` with a forward proxy, closed afterwards. */
const withProxy = async (
  use: (proxy: Awaited<ReturnType<typeof forwardProxy>>) => Promise<void>,
  credentials?: { readonly username: string; readonly password: string }
) => {
  const proxy = await forwardProxy(credentials)
  try {
    await use(proxy)
  } finally {
    await proxy.close()
  }
}

/** A port nothing listens on. */
const deadPort = async () => {
  const server = await listen(http.createServer())
  const port = new URL(server.url).port
  await server.close()
  return port
}

const hostOf = (url: string) => new URL(url).host

// ---------------------------------------------------------------------------------------------
// the proxy variables, set per test

const proxyVariables = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"]
let savedVariables: Record<string, string | undefined> = {}

beforeEach(() => {
  savedVariables = Object.fromEntries(proxyVariables.map((name) => [name, process.env[name]]))
  for (const name of proxyVariables) delete process.env[name]
})

afterEach(() => {
  for (const name of proxyVariables) {
    const value = savedVariables[name]
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
})

// ---------------------------------------------------------------------------------------------
// clients

/** `getVersion` through `Client` over the undici transport with these options. */
const versionVia = (host: string, options: UndiciHttpClient.UndiciOptions) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const layer = Client.layer({ token: Redacted.make(token), host, totalRetries: 0 }).pipe(
      Layer.provide(UndiciHttpClient.layer(options))
    )
    const client = Context.get(yield* Layer.build(layer), Client)
    return yield* Effect.either(client.getVersion())
  })))

/** `getVersion` through an `AsyncClient` (the Node build: undici) with these options; the error if it rejects. */
const asyncVersion = async (options: Omit<ConstructorParameters<typeof AsyncClient>[0], "token">) => {
  const client = new AsyncClient({ token, totalRetries: 0, ...options })
  try {
    return await client.getVersion().then((version) => ({ version }), (error: unknown) => ({ error }))
  } finally {
    await client.close()
  }
}

/** What `new AsyncClient` throws with these options (from untyped code, perhaps). */
const constructorError = (options: Record<string, unknown>): unknown => {
  try {
    new AsyncClient({ token, ...options } as ConstructorParameters<typeof AsyncClient>[0])
  } catch (error) {
    return error
  }
  throw new Error("the client was made")
}

/** The failure of building `UndiciHttpClient.layer(options)`. */
const layerError = (options: unknown) =>
  Effect.runPromise(Effect.scoped(Effect.flip(Layer.build(UndiciHttpClient.layer(options as UndiciHttpClient.UndiciOptions)))))

// ---------------------------------------------------------------------------------------------
// proxies

describe("a forward proxy in front of the fake server", () => {
  let fake: Running

  beforeAll(async () => {
    fake = await Loopback.start()
  })
  afterAll(() => fake.close())

  it("carries the requests when HTTP_PROXY names it (Effect and AsyncClient, upper and lower case)", async () => {
    await withProxy(async (proxy) => {
      process.env.HTTP_PROXY = proxy.url
      expect(await versionVia(`${fake.url}/v1`, {})).toMatchObject({ _tag: "Right", right: "1.19.0" })
      expect(proxy.tunnels).toEqual([hostOf(fake.url)])
      delete process.env.HTTP_PROXY
      process.env.http_proxy = proxy.url
      expect(await asyncVersion({ host: `${fake.url}/v1` })).toEqual({ version: "1.19.0" })
      expect(proxy.tunnels).toEqual([hostOf(fake.url), hostOf(fake.url)])
    })
  })

  it("carries the requests when the proxy option names it, whatever the variables say", async () => {
    await withProxy(async (proxy) => {
      process.env.HTTP_PROXY = `http://127.0.0.1:${await deadPort()}`
      expect(await versionVia(`${fake.url}/v1`, { proxy: proxy.url })).toMatchObject({ right: "1.19.0" })
      expect(await asyncVersion({ host: `${fake.url}/v1`, proxy: { url: proxy.url } })).toEqual({ version: "1.19.0" })
      expect(proxy.tunnels).toEqual([hostOf(fake.url), hostOf(fake.url)])
    })
  })

  it("is bypassed for hosts in NO_PROXY, for proxy: false and for the option's noProxy", async () => {
    await withProxy(async (proxy) => {
      process.env.HTTP_PROXY = proxy.url
      process.env.NO_PROXY = "example.com, 127.0.0.1"
      expect(await versionVia(`${fake.url}/v1`, {})).toMatchObject({ right: "1.19.0" })
      delete process.env.NO_PROXY
      expect(await asyncVersion({ host: `${fake.url}/v1`, proxy: false })).toEqual({ version: "1.19.0" })
      expect(await versionVia(`${fake.url}/v1`, { proxy: { url: proxy.url, noProxy: hostOf(fake.url) } })).toMatchObject({
        right: "1.19.0"
      })
      expect(proxy.tunnels).toEqual([])
    })
  })

  it("that asks for credentials refuses a client without them (407) and lets one with them through", async () => {
    const password = "pa:ss/w@rd-7f3a9c"
    await withProxy(async (proxy) => {
      const refused = await versionVia(`${fake.url}/v1`, { proxy: proxy.url })
      expect(refused).toMatchObject({ _tag: "Left", left: { _tag: "TransportError" } })
      const error = (refused as { readonly left: TransportError }).left
      expect(error.message).toContain(`the proxy ${proxy.url} (the proxy option) asks for credentials (407`)

      const withOption = await versionVia(`${fake.url}/v1`, {
        proxy: { url: proxy.url, username: "alice", password: Redacted.make(password) }
      })
      expect(withOption).toMatchObject({ right: "1.19.0" })
      // in a variable, the credentials are the URL's user info, percent-encoded
      const url = new URL(proxy.url)
      url.username = "alice"
      url.password = encodeURIComponent(password)
      process.env.HTTP_PROXY = url.href
      expect(await asyncVersion({ host: `${fake.url}/v1` })).toEqual({ version: "1.19.0" })
    }, { username: "alice", password })
  })

  it("that is dead is a TransportError naming the proxy, never its password", async () => {
    const port = await deadPort()
    const password = "hunter2-proxy-PASSWORD"
    const viaOption = await versionVia(`${fake.url}/v1`, {
      proxy: { url: `http://127.0.0.1:${port}`, username: "bob", password: Redacted.make(password) }
    })
    expect(viaOption._tag).toBe("Left")
    const error = (viaOption as { readonly left: unknown }).left
    expect(error).toBeInstanceOf(TransportError)
    expect((error as TransportError).message).toContain(`the proxy http://127.0.0.1:${port} (the proxy option) could not be reached`)
    expect(JSON.stringify(error) + String(error) + String((error as TransportError).cause)).not.toContain(password)

    process.env.HTTPS_PROXY = `http://bob:${password}@127.0.0.1:${port}`
    const viaVariable = await asyncVersion({ host: `${fake.url.replace("http:", "https:")}/v1` })
    const rejected = (viaVariable as { readonly error: unknown }).error
    expect(rejected).toBeInstanceOf(TransportError)
    expect((rejected as TransportError).message).toContain(`the proxy http://127.0.0.1:${port} (HTTPS_PROXY) could not be reached`)
    expect((rejected as TransportError).message).not.toContain(password)
  })

  it("carries Image.fromUrl (Effect, and AsyncLoaders with HTTP_PROXY)", async () => {
    const jpeg = fs.readFileSync(path.join(import.meta.dirname, "fixtures/dog-and-cat-cover.jpg"))
    const images = await listen(http.createServer((_, response) => response.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg)))
    try {
      await withProxy(async (proxy) => {
        const image = await Effect.runPromise(
          Image.fromUrl(`${images.url}/cover.jpg`).pipe(Effect.provide(UndiciHttpClient.layer({ proxy: proxy.url })))
        )
        expect(image.base64).toBe(jpeg.toString("base64"))
        process.env.HTTP_PROXY = proxy.url
        expect(await AsyncLoaders.base64FromUrl(`${images.url}/cover.jpg`)).toBe(jpeg.toString("base64"))
        expect(proxy.tunnels).toEqual([hostOf(images.url), hostOf(images.url)])
      })
    } finally {
      await images.close()
    }
  })
})

describe("proxy options that cannot work", () => {
  it("are a ValidationError when the layer or AsyncClient is made, never showing a password", async () => {
    const cases: ReadonlyArray<readonly [unknown, string]> = [
      ["not a url", "proxy.url"],
      ["socks5://127.0.0.1:1080", "proxy.url"],
      ["http://alice:hunter2-SECRET@127.0.0.1:3128", "proxy.url"],
      [{ url: "http://127.0.0.1:3128", username: "alice", password: "hunter2-SECRET" }, "proxy.password"],
      [{ url: "http://127.0.0.1:3128", password: Redacted.make("hunter2-SECRET") }, "proxy.username"],
      [42, "proxy"]
    ]
    for (const [proxy, at] of cases) {
      for (const error of [await layerError({ proxy }), constructorError({ proxy })]) {
        expect(error, String(at)).toBeInstanceOf(ValidationError)
        expect((error as ValidationError).path).toBe(at)
        expect(String(error) + JSON.stringify(error)).not.toContain("hunter2")
      }
    }
    process.env.HTTPS_PROXY = "http://alice:hunter2-SECRET@bad host"
    const error = constructorError({})
    expect(error).toBeInstanceOf(ValidationError)
    expect(String(error)).toContain("HTTPS_PROXY (from the environment) is not a URL")
    expect(String(error)).not.toContain("hunter2")
  })

  it("are refused by AsyncClient on the fetch transport, which cannot apply them", () => {
    for (const options of [{ proxy: "http://127.0.0.1:3128" }, { proxy: false as const }, { ca: "pem" }, { verifySsl: false }]) {
      const error = constructorError({ transport: "fetch", ...options })
      expect(error).toBeInstanceOf(ValidationError)
      expect((error as ValidationError).path).toBe(Object.keys(options)[0])
    }
    expect(() => new AsyncClient({ token, transport: "fetch", verifySsl: true })).not.toThrow()
  })
})

// ---------------------------------------------------------------------------------------------
// TLS

/** A CA, a server certificate it signed for 127.0.0.1, and a client certificate it signed. */
const pki = async () => {
  const ca = await selfsigned.generate([{ name: "commonName", value: "Test Private CA" }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true }
    ]
  })
  const signed = { keyType: "ec", algorithm: "sha256", ca: { key: ca.private, cert: ca.cert } } as const
  const server = await selfsigned.generate([{ name: "commonName", value: "localhost" }], signed)
  const client = await selfsigned.generate([{ name: "commonName", value: "pharia-client" }], signed)
  return { ca: ca.cert, server, client }
}

describe("an HTTPS server with a certificate of a private CA", () => {
  let certificates: Awaited<ReturnType<typeof pki>>
  let plain: Running
  let mutual: Running
  const answer = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const peer = (request.socket as import("node:tls").TLSSocket).getPeerCertificate()
    response.writeHead(200, { "content-type": "text/plain", "x-client": peer.subject?.CN ?? "" }).end("1.19.0")
  }

  beforeAll(async () => {
    certificates = await pki()
    const { server } = certificates
    plain = await listen(https.createServer({ key: server.private, cert: server.cert }, answer))
    mutual = await listen(
      https.createServer({ key: server.private, cert: server.cert, ca: certificates.ca, requestCert: true, rejectUnauthorized: true }, answer)
    )
  }, 60_000)
  afterAll(async () => {
    await plain.close()
    await mutual.close()
  })

  it("is refused while its CA is not trusted, and reached once ca names it", async () => {
    const untrusted = await versionVia(`${plain.url}/v1`, {})
    expect(untrusted).toMatchObject({ _tag: "Left", left: { _tag: "TransportError" } })
    expect((untrusted as { readonly left: TransportError }).left.message).toMatch(/certificate/)
    expect(await asyncVersion({ host: `${plain.url}/v1` })).toMatchObject({ error: { _tag: "TransportError" } })

    expect(await versionVia(`${plain.url}/v1`, { ca: certificates.ca })).toMatchObject({ right: "1.19.0" })
    expect(await asyncVersion({ host: `${plain.url}/v1`, ca: [certificates.ca] })).toEqual({ version: "1.19.0" })
    expect(await versionVia(`${plain.url}/v1`, { verifySsl: false })).toMatchObject({ right: "1.19.0" })
  })

  it("is reached through a proxy with ca too", async () => {
    await withProxy(async (proxy) => {
      expect(await versionVia(`${plain.url}/v1`, { proxy: proxy.url, ca: certificates.ca })).toMatchObject({ right: "1.19.0" })
      expect(await versionVia(`${plain.url}/v1`, { proxy: proxy.url })).toMatchObject({ left: { _tag: "TransportError" } })
      expect(proxy.tunnels).toEqual([hostOf(plain.url), hostOf(plain.url)])
    })
  })

  it("that asks for a client certificate rejects a client without one and accepts cert and key", async () => {
    const without = await versionVia(`${mutual.url}/v1`, { ca: certificates.ca })
    expect(without).toMatchObject({ _tag: "Left", left: { _tag: "TransportError" } })
    const { client } = certificates
    const withCertificate = { ca: certificates.ca, cert: client.cert, key: Redacted.make(client.private) }
    expect(await versionVia(`${mutual.url}/v1`, withCertificate)).toMatchObject({ right: "1.19.0" })
    expect(await asyncVersion({ host: `${mutual.url}/v1`, ...withCertificate })).toEqual({ version: "1.19.0" })
  })

  it("bad PEMs are a ValidationError when the layer or AsyncClient is made, the key never shown", async () => {
    const { client, server } = certificates
    const keyText = client.private.split("\n")[1]!
    const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      [{ ca: "not a certificate" }, "ca"],
      [{ ca: [certificates.ca, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"] }, "ca.1"],
      [{ ca: 42 }, "ca"],
      [{ cert: client.cert }, "key"],
      [{ key: Redacted.make(client.private) }, "cert"],
      [{ cert: client.cert, key: client.private }, "key"],
      [{ cert: client.cert, key: Redacted.make("-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----") }, "key"],
      [{ cert: client.cert, key: Redacted.make(server.private) }, "key"],
      [{ verifySsl: "no" }, "verifySsl"]
    ]
    for (const [options, at] of cases) {
      for (const error of [await layerError(options), constructorError(options)]) {
        expect(error, at).toBeInstanceOf(ValidationError)
        expect((error as ValidationError).path, JSON.stringify(Object.keys(options))).toBe(at)
        expect(String(error) + JSON.stringify(error)).not.toContain(keyText)
      }
    }
  })
})

/** The layer type stays what it was: an `HttpClient` that may fail to build with a `ValidationError`. */
export const layerType: Layer.Layer<HttpClient.HttpClient, ValidationError> = UndiciHttpClient.layer({ proxy: false })
