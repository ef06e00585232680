/**
 * Documents: turn a .docx file (paragraphs and pictures), plain text or a prompt into a
 * `Document`, and use it as a prompt.
 *
 *   npx tsx examples/documents.ts
 *
 * Runs on the embedded fake server; set ALEPH_ALPHA_TOKEN and ALEPH_ALPHA_HOST to run it
 * against the real API.
 */
import { Console, Effect, Layer } from "effect"
import { fileURLToPath } from "node:url"
import { Client, CompletionRequest, Prompt, Text } from "../src/index.js"
import { AlephAlphaTest } from "../src/testing/index.js"
import { NodeFileSystem, UndiciHttpClient } from "../src/node/index.js"
import { Document } from "../src/document/index.js"

const report = fileURLToPath(new URL("assets/orchard-report.docx", import.meta.url))

const program = Effect.gen(function*() {
  const client = yield* Client

  // a docx is read with mammoth: its paragraphs become text, its pictures Image items
  const document = yield* Document.fromDocxFile(report)
  const items = document.toPrompt().items
  yield* Console.log(`${String(document)}: ${items.map((item) => item.type).join(", ")}`)

  // add an instruction after the document's own items
  const prompt = new Prompt([...items, Text.fromText("\n\nIn one sentence, this report says:")])
  const summary = yield* client.complete(new CompletionRequest({ prompt, maximumTokens: 12 }), "luminous-base")
  yield* Console.log(`summary:${summary.completions[0]?.completion}`)

  // documents from text or from a prompt, and their wire form (as the Python client's)
  yield* Console.log(JSON.stringify(Document.fromText("Apples are red.").toJSON()))
  yield* Console.log(JSON.stringify(Document.fromPrompt(["Apples are", "red."]).toJSON()))
})

const AlephAlpha = process.env.ALEPH_ALPHA_TOKEN
  ? Client.layerConfig().pipe(Layer.provide(UndiciHttpClient.layer()))
  : AlephAlphaTest.layer()

Effect.runPromise(program.pipe(Effect.provide(Layer.merge(AlephAlpha, NodeFileSystem.layerReadFile))))
