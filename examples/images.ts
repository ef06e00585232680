/**
 * Images: load a picture, crop it, steer attention away from part of it, and use it in a
 * completion prompt and in a chat message.
 *
 *   npx tsx examples/images.ts
 *
 * Runs on the embedded fake server; set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it
 * against the real API.
 */
import { Console, Effect, Layer } from "effect"
import { fileURLToPath } from "node:url"
import {
  ChatRequest,
  Client,
  CompletionRequest,
  Image,
  ImageControl,
  Message,
  Prompt,
  Text
} from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { NodeFileSystem, UndiciHttpClient } from "../src/node/index.js"

const picture = fileURLToPath(new URL("assets/apple.png", import.meta.url))

const program = Effect.gen(function*() {
  const client = yield* Client

  // Image.fromFile reads through the platform's FileSystem (provided below for Node)
  const apple = yield* Image.fromFile(picture)
  const { height, width } = yield* apple.dimensions()
  yield* Console.log(`loaded ${picture.split("/").pop()}: ${width}×${height} pixels`)

  // a square crop (x, y, size in pixels) and a control that halves the attention paid to
  // the top third of the image (rectangles are fractions of the whole image)
  const cropped = yield* Image.fromFileWithCropping(picture, 16, 0, 64, [
    new ImageControl({ left: 0, top: 0, width: 1, height: 1 / 3, factor: 0.5 })
  ])

  // a completion prompt mixes images and text
  const described = yield* client.complete(
    new CompletionRequest({ prompt: new Prompt([cropped, Text.fromText("A picture of")]), maximumTokens: 8 }),
    "luminous-base"
  )
  yield* Console.log(`completion: A picture of${described.completions[0]?.completion}`)
  yield* Console.log(`prompt tokens: ${described.numTokensPromptTotal} (an image counts 144 on luminous models)`)

  // chat content may be a list of strings and images (sent as data URIs)
  const chat = yield* client.chat(
    new ChatRequest({
      model: "llama-3.1-8b-instruct",
      messages: [new Message({ role: "user", content: ["What fruit is this?", apple] })],
      maximumTokens: 16
    })
  )
  yield* Console.log(`chat: ${chat.message.content}`)
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(Layer.merge(AlephAlpha, NodeFileSystem.layerReadFile))))
