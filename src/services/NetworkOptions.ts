/**
 * Proxies and TLS: plain data any runtime may hold, acted on by the undici transport only
 * (`UndiciHttpClient.layer` of `aleph-alpha-client/node`, `AsyncClient` on Node). A `fetch`
 * runtime cannot be told a proxy or extra CAs through `fetch`, so `AsyncClient` over fetch
 * refuses these options with a `ValidationError` rather than ignore them.
 */
import type * as Redacted from "effect/Redacted"

/** A proxy with credentials, which are kept apart from its URL so the password stays `Redacted`. */
export interface ProxyOptions {
  /** The proxy's URL, `http://host:port` or `https://host:port`, without user info. */
  readonly url: string
  /** The user name for the proxy's Basic authentication. Default: none. */
  readonly username?: string | undefined
  /** The password for the proxy's Basic authentication; it never appears in errors, logs or spans. Default: none. */
  readonly password?: Redacted.Redacted<string> | undefined
  /** Hosts reached without the proxy, as `NO_PROXY` lists them (`"localhost,.corp.example:8443"`). Default: none. */
  readonly noProxy?: string | undefined
}

/** The network options of the undici transport. */
export interface NetworkOptions {
  /**
   * The proxy every request goes through: its URL (without user info) or a `ProxyOptions`;
   * `false` for none. Default: from the environment as Python's client reads it —
   * `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy`/`HTTP_PROXY` for http URLs (and
   * for https ones when no https proxy is set, as undici does), hosts in `no_proxy`/`NO_PROXY`
   * reached directly; read when the transport is built.
   */
  readonly proxy?: string | ProxyOptions | false | undefined
  /**
   * PEM certificates trusted besides the runtime's roots (a private CA): one string (which may
   * hold several certificates) or several. Default: the runtime's roots only.
   */
  readonly ca?: string | ReadonlyArray<string> | undefined
  /** The client certificate (PEM, with its chain if any) for mutual TLS; needs `key`. Default: none. */
  readonly cert?: string | undefined
  /** The private key (PEM, unencrypted) of `cert`. Default: none. */
  readonly key?: Redacted.Redacted<string> | undefined
  /** Whether TLS certificates are verified (servers' and proxies'). Default: true. */
  readonly verifySsl?: boolean | undefined
}
