/**
 * The network options of the undici transport, checked and made into what undici takes: the
 * proxies (the `proxy` option, or else the environment's variables, read once) and one TLS
 * context with the extra CAs and the client certificate, built once rather than per connection.
 * Checked synchronously, so `new AsyncClient` can throw a bad PEM where the client is made.
 */
import type * as Crypto from "node:crypto"
import type * as Tls from "node:tls"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import { ValidationError } from "../../errors/AlephAlphaError.js"
import { describeValue } from "../../schema/internal/untypedInput.js"
import { validationErrorFromThrow } from "../../schema/internal/thrown.js"
import type { NetworkOptions, ProxyOptions } from "../../services/NetworkOptions.js"

/** What `tls.connect` gets for a server (`connect`, `requestTls`) or a proxy (`proxyTls`). */
export interface TlsOptions {
  readonly rejectUnauthorized: boolean
  readonly secureContext?: Tls.SecureContext | undefined
}

/** The proxies, in the form undici's `EnvHttpProxyAgent` takes them. */
export interface Proxies {
  /** Proxy URLs, perhaps with credentials; `""` for none (undici then reads no variable). */
  readonly httpProxy: string
  readonly httpsProxy: string
  readonly noProxy: string
  /** The `Proxy-Authorization` value for a proxy given as `ProxyOptions`. */
  readonly token: string | undefined
  /** What an error calls a proxy, by its origin: the origin and where it came from, never the credentials. */
  readonly names: ReadonlyMap<string, string>
}

/** The options after checking. */
export interface Network {
  readonly connect: TlsOptions
  readonly proxyTls: TlsOptions
  readonly proxies: Proxies | undefined
}

type Env = Readonly<Record<string, string | undefined>>

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g

const firstLine = (thrown: unknown) => (thrown instanceof Error ? thrown.message : String(thrown)).split("\n")[0]

class Invalid {
  constructor(readonly path: string, readonly issue: string) {}
}

/** The certificates of a PEM text, each parsed, or why not. */
const certificates = (crypto: typeof Crypto, pem: unknown, path: string): ReadonlyArray<string> => {
  if (typeof pem !== "string") throw new Invalid(path, `expected a PEM string, got ${describeValue(pem)}`)
  const blocks = pem.match(pemCertificate) ?? []
  if (blocks.length === 0) throw new Invalid(path, "expected a PEM certificate (-----BEGIN CERTIFICATE----- …)")
  blocks.forEach((block, i) => {
    try {
      new crypto.X509Certificate(block)
    } catch (thrown) {
      const which = blocks.length === 1 ? "the certificate" : `certificate ${i + 1}`
      throw new Invalid(path, `${which} cannot be read (${firstLine(thrown)})`)
    }
  })
  return blocks
}

/** The certificates of the `ca` option: a PEM text or several. */
const caCertificates = (crypto: typeof Crypto, ca: unknown): ReadonlyArray<string> => {
  if (typeof ca === "string") return certificates(crypto, ca, "ca")
  if (!Array.isArray(ca)) throw new Invalid("ca", `expected a PEM string or an array of them, got ${describeValue(ca)}`)
  return ca.flatMap((pem: unknown, i) => certificates(crypto, pem, `ca.${i}`))
}

/** `scheme://host:port`, which is all an error says of a proxy. */
const originOf = (url: URL) => `${url.protocol}//${url.host}`

/** `value` as a proxy URL; `what` names it in an issue, which never quotes it (it may hold a password). */
const proxyUrl = (value: string, path: string, what: string, userInfo: "allowed" | "refused"): URL => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Invalid(path, `${what} is not a URL`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Invalid(path, `${what} must be an http or https URL, not ${JSON.stringify(url.protocol)}`)
  }
  if (userInfo === "refused" && (url.username !== "" || url.password !== "")) {
    throw new Invalid(
      path,
      `${what} may not carry user info (${url.protocol}//***@${url.host}): give { url, username, password: Redacted.make(…) }`
    )
  }
  return url
}

const proxiesFromOption = (option: unknown): Proxies => {
  if (typeof option === "string") return proxiesFromOption({ url: option })
  if (typeof option !== "object" || option === null || Array.isArray(option)) {
    throw new Invalid("proxy", `expected a URL, a ProxyOptions object or false, got ${describeValue(option)}`)
  }
  const { noProxy = "", password, url, username } = { ...option } as Partial<Record<keyof ProxyOptions, unknown>>
  if (typeof url !== "string") throw new Invalid("proxy.url", `expected a string, got ${describeValue(url)}`)
  const parsed = proxyUrl(url, "proxy.url", "the proxy URL", "refused")
  if (typeof noProxy !== "string") throw new Invalid("proxy.noProxy", "expected a string as NO_PROXY holds it")
  if (username !== undefined && (typeof username !== "string" || /[:\x00-\x1f\x7f]/.test(username))) {
    throw new Invalid("proxy.username", "expected a string without colons or control characters")
  }
  if (password !== undefined && (!Redacted.isRedacted(password) || typeof Redacted.value(password) !== "string")) {
    throw new Invalid("proxy.password", "expected a Redacted string (Redacted.make(password))")
  }
  if (password !== undefined && username === undefined) throw new Invalid("proxy.username", "a password needs a username")
  const token = username === undefined
    ? undefined
    : `Basic ${Buffer.from(`${username}:${password === undefined ? "" : Redacted.value(password as Redacted.Redacted<string>)}`).toString("base64")}`
  return {
    httpProxy: url,
    httpsProxy: url,
    noProxy,
    token,
    names: new Map([[originOf(parsed), `${originOf(parsed)} (the proxy option)`]])
  }
}

/** The variable as undici reads it: lower case first. */
const variable = (env: Env, name: string): { readonly name: string; readonly value: string } | undefined => {
  const lower = name.toLowerCase()
  const value = env[lower] ?? env[name]
  return value === undefined || value === "" ? undefined : { name: env[lower] !== undefined ? lower : name, value }
}

const proxiesFromEnv = (env: Env): Proxies | undefined => {
  const http = variable(env, "HTTP_PROXY")
  const https = variable(env, "HTTPS_PROXY")
  if (http === undefined && https === undefined) return undefined
  const names = new Map<string, string>()
  for (const found of [https, http]) {
    if (found === undefined) continue
    const origin = originOf(proxyUrl(found.value, "proxy", `${found.name} (from the environment)`, "allowed"))
    if (!names.has(origin)) names.set(origin, `${origin} (${found.name})`)
  }
  return {
    httpProxy: http?.value ?? "",
    httpsProxy: https?.value ?? "",
    noProxy: variable(env, "NO_PROXY")?.value ?? "",
    token: undefined,
    names
  }
}

const check = (options: NetworkOptions, env: Env): Network => {
  const tls = process.getBuiltinModule("node:tls")
  const crypto = process.getBuiltinModule("node:crypto")
  const verifySsl = options.verifySsl ?? true
  if (typeof verifySsl !== "boolean") throw new Invalid("verifySsl", "expected a boolean")

  const ca = options.ca === undefined ? undefined : caCertificates(crypto, options.ca)

  const { cert, key } = options
  if ((cert === undefined) !== (key === undefined)) {
    throw new Invalid(cert === undefined ? "cert" : "key", "a client certificate needs both cert and key")
  }
  if (cert !== undefined) certificates(crypto, cert, "cert")
  let keyPem: string | undefined
  if (key !== undefined) {
    if (!Redacted.isRedacted(key) || typeof Redacted.value(key) !== "string") {
      throw new Invalid("key", "expected a Redacted PEM string (Redacted.make(pem))")
    }
    keyPem = Redacted.value(key)
    try {
      crypto.createPrivateKey(keyPem)
    } catch (thrown) {
      // OpenSSL's reasons never quote the key
      throw new Invalid("key", `not a usable unencrypted PEM private key (${firstLine(thrown)})`)
    }
  }

  // `ca` replaces the runtime's roots in a TLS context: they are added back
  const roots = ca === undefined
    ? undefined
    : [...((tls as { getCACertificates?: (type: string) => Array<string> }).getCACertificates?.("default") ?? tls.rootCertificates), ...ca]
  let secureContext: Tls.SecureContext | undefined
  if (roots !== undefined || keyPem !== undefined) {
    try {
      secureContext = tls.createSecureContext({ ca: roots, cert, key: keyPem })
    } catch (thrown) {
      throw keyPem === undefined
        ? new Invalid("ca", `cannot be used (${firstLine(thrown)})`)
        : new Invalid("key", `does not fit cert (${firstLine(thrown)})`)
    }
  }
  const proxyContext = roots === undefined ? undefined : tls.createSecureContext({ ca: roots })

  const proxies = options.proxy === false
    ? undefined
    : options.proxy === undefined
    ? proxiesFromEnv(env)
    : proxiesFromOption(options.proxy)
  return {
    connect: { rejectUnauthorized: verifySsl, secureContext },
    proxyTls: { rejectUnauthorized: verifySsl, secureContext: proxyContext },
    proxies
  }
}

/**
 * Checks the network options (read once: they may come from untyped code) and the proxy
 * variables of `env`; a bad one is a `ValidationError` about `subject` that never shows a
 * password or a key.
 */
export const resolveNetwork = (
  options: NetworkOptions,
  subject: string,
  env: Env = process.env
): Either.Either<Network, ValidationError> => {
  try {
    return Either.right(check(options, env))
  } catch (thrown) {
    return Either.left(
      thrown instanceof Invalid
        ? new ValidationError({ path: thrown.path, issue: thrown.issue, subject })
        : validationErrorFromThrow(thrown, options, subject)
    )
  }
}
