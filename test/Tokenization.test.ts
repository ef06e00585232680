import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import {
  Client,
  DetokenizationRequest,
  DetokenizationResponse,
  TokenizationRequest,
  TokenizationResponse
} from "../src/index.js"
import { AlephAlphaTest, FakeServer } from "../src/testing/index.js"
import { tokenizer as loadTokenizer, tokenizerFromJson } from "../src/tokenizer/index.js"

const model = "luminous-base"

const requests = Effect.flatMap(FakeServer.FakeServer, (server) => server.requests)
const bodies = Effect.map(requests, (all) => all.map((request) => request.body))

const sentence = "An apple a day keeps the doctor away."

describe("tokenize and detokenize", () => {
  it.effect("tokenize sends both flags and decodes tokens and ids", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const response = yield* client.tokenize(new TokenizationRequest({ prompt: "Hello world", tokens: true, tokenIds: true }), model)
      expect(yield* bodies).toEqual([{ prompt: "Hello world", tokens: true, token_ids: true, model }])
      expect(response).toBeInstanceOf(TokenizationResponse)
      // byte-level notation: Ġ marks a leading space
      expect(response.tokens).toEqual(["Hello", "Ġworld"])
      expect(response.tokenIds).toHaveLength(2)
      for (const id of response.tokenIds!) expect(Number.isSafeInteger(id)).toBe(true)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("what was not asked for is null", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const onlyIds = yield* client.tokenize(new TokenizationRequest({ prompt: "Hello", tokens: false, tokenIds: true }), model)
      expect(onlyIds.tokens).toBeNull()
      expect(onlyIds.tokenIds).toHaveLength(1)
      const onlyTokens = yield* client.tokenize(new TokenizationRequest({ prompt: "Hello", tokens: true, tokenIds: false }), model)
      expect(onlyTokens.tokens).toEqual(["Hello"])
      expect(onlyTokens.tokenIds).toBeNull()
      expect((yield* bodies)[1]).toEqual({ prompt: "Hello", tokens: true, token_ids: false, model })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("detokenize turns the ids back into the text", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const { tokenIds } = yield* client.tokenize(new TokenizationRequest({ prompt: sentence, tokens: false, tokenIds: true }), model)
      const response = yield* client.detokenize(new DetokenizationRequest({ tokenIds: tokenIds! }), model)
      expect((yield* bodies)[1]).toEqual({ token_ids: tokenIds, model })
      expect(response).toBeInstanceOf(DetokenizationResponse)
      expect(response.result).toBe(sentence)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("the recorded answers decode", () =>
    Effect.gen(function*() {
      const tokenized = yield* Schema.decodeUnknown(TokenizationResponse)({ tokens: ["\u0120Hello"], token_ids: [49222] })
      expect(tokenized.tokens).toEqual(["ĠHello"])
      expect(tokenized.tokenIds).toEqual([49222])
      const fractional = yield* Effect.flip(Schema.decodeUnknown(TokenizationResponse)({ token_ids: [1.5] }))
      expect(fractional._tag).toBe("ParseError")
      expect((yield* Schema.decodeUnknown(DetokenizationResponse)({ result: "tiss" })).result).toBe("tiss")
    }))

  it.effect("a negative token id is a ValidationError before anything is sent", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const made = yield* Effect.flip(DetokenizationRequest.make({ tokenIds: [3, -1] }))
      expect(made).toMatchObject({ _tag: "ValidationError", path: "tokenIds.1" })
      const error = yield* Effect.flip(client.detokenize(new DetokenizationRequest({ tokenIds: [3, -1] }, true), model))
      expect(error).toMatchObject({ _tag: "ValidationError", subject: "DetokenizationRequest" })
      expect(yield* bodies).toEqual([])
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})

describe("tokenizer", () => {
  it.effect("fetches the model's tokenizer and encodes and decodes a sentence offline, as tokenize does", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const tokenizer = yield* loadTokenizer(model)
      const [download] = yield* requests
      expect(download).toMatchObject({ method: "GET", path: `/v1/models/${model}/tokenizer`, body: undefined })

      const encoded = tokenizer.encode(sentence)
      expect(encoded.tokens).toEqual(["An", "Ġapple", "Ġa", "Ġday", "Ġkeeps", "Ġthe", "Ġdoctor", "Ġaway", "."])
      expect(tokenizer.decode(encoded.ids)).toBe(sentence)
      const unicode = "Grüße, naïve 🙂!"
      expect(tokenizer.decode(tokenizer.encode(unicode).ids)).toBe(unicode)
      // offline: nothing else was requested
      expect(yield* requests).toHaveLength(1)

      // the same ids and tokens as the endpoint
      const online = yield* client.tokenize(new TokenizationRequest({ prompt: sentence, tokens: true, tokenIds: true }), model)
      expect(online.tokens).toEqual(encoded.tokens)
      expect(online.tokenIds).toEqual(encoded.ids)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("builds the tokenizer a test serves", () =>
    Effect.gen(function*() {
      const tokenizer = yield* loadTokenizer(model)
      expect(tokenizer.encode("abcab").tokens).toEqual(["abc", "ab"])
      expect(tokenizer.encode("abcab").ids).toEqual([4, 3])
      expect(tokenizer.decode([3, 2, 4])).toBe("abcabc")
      expect(tokenizer.id_to_token(4)).toBe("abc")
    }).pipe(Effect.provide(AlephAlphaTest.layer({
      server: {
        tokenizer: {
          version: "1.0",
          added_tokens: [],
          normalizer: null,
          pre_tokenizer: null,
          post_processor: null,
          decoder: { type: "Fuse" },
          model: { type: "BPE", vocab: { a: 0, b: 1, c: 2, ab: 3, abc: 4 }, merges: ["a b", "ab c"] }
        }
      }
    }))))

  it.effect("a tokenizer document that cannot be built is a DecodeError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadTokenizer(model))
      expect(error._tag).toBe("DecodeError")
      expect(error.message).toContain("The tokenizer could not be built")
      const notJson = yield* Effect.flip(tokenizerFromJson("{"))
      expect(notJson).toMatchObject({ _tag: "DecodeError" })
      expect(notJson.message).toContain("not valid JSON")
    }).pipe(Effect.provide(AlephAlphaTest.layer({ server: { tokenizer: { model: { type: "NoSuchModel" } } } }))))

  it.effect("an unknown model is a NotFoundError and an empty name a ValidationError", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const error = yield* Effect.flip(client.tokenizerJson("no-such-model"))
      expect(error).toMatchObject({ _tag: "NotFoundError", status: 404, code: "UNKNOWN_MODEL" })
      const empty = yield* Effect.flip(loadTokenizer(""))
      expect(empty).toMatchObject({ _tag: "ValidationError", path: "model" })
      expect(yield* requests).toHaveLength(1)
    }).pipe(Effect.provide(AlephAlphaTest.layer())))

  it.effect("tokenizerJson is the document the server serves, as text", () =>
    Effect.gen(function*() {
      const client = yield* Client
      const json = yield* client.tokenizerJson(model)
      expect(JSON.parse(json)).toMatchObject({ model: { type: "BPE" } })
    }).pipe(Effect.provide(AlephAlphaTest.layer())))
})
