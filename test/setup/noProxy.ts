// The suite talks to servers on 127.0.0.1 only. The Node transport follows the proxy variables
// by default, so on a machine behind a proxy they would send that traffic to it; tests of the
// proxy rules set the variables they need themselves (test/Networks.test.ts).
for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"]) {
  delete process.env[name]
}
