// The fake server on 127.0.0.1 in its own process, for `npm run bench`. Prints its URL on the
// first line of stdout and serves until stdin closes.
import { Effect, Layer } from "effect"
import { FakeServer, Loopback } from "../src/testing/index.js"

const program = Effect.gen(function*() {
  const server = yield* Loopback.Loopback
  console.log(server.url)
  yield* Effect.async<void>((resume) => {
    process.stdin.on("end", () => resume(Effect.void))
    process.stdin.resume()
  })
})

Effect.runPromise(
  Effect.provide(program, Loopback.layer().pipe(Layer.provideMerge(FakeServer.layer({ recordRequests: false }))))
).then(() => process.exit(0))
