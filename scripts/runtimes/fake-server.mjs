// The fake server for `npm run test:runtimes`, from the installed package: listens on
// 127.0.0.1, prints its URL as one line, and stops when its standard input closes.
import { Layer, ManagedRuntime } from "effect"
import { FakeServer } from "aleph-alpha-client/testing"
import { Loopback } from "aleph-alpha-client/testing/node"

const runtime = ManagedRuntime.make(Loopback.layer().pipe(Layer.provideMerge(FakeServer.layer({ recordRequests: false }))))
const { url } = await runtime.runPromise(Loopback.Loopback)
console.log(url)
process.stdin.resume()
process.stdin.on("end", () => runtime.dispose().then(() => process.exit(0)))
