/**
 * `POST rerank` (api-reference §4.14): documents ordered by their relevance to a query.
 */
import * as Schema from "effect/Schema"
import { type InputOf, SafeClass } from "./SafeClass.js"

/** A rerank request. `top_n` is only sent when set, as the Python client does. */
export class RerankRequest extends SafeClass<RerankRequest>("aleph-alpha-client/RerankRequest")({
  query: Schema.String,
  /** The documents to rank; at least one. */
  documents: Schema.Array(Schema.String).pipe(Schema.minItems(1)),
  /** Return only the best `topN` results (at least 1). Default: all documents. */
  topN: Schema.optionalWith(Schema.Int.pipe(Schema.greaterThanOrEqualTo(1)), { exact: true }).pipe(
    Schema.fromKey("top_n")
  )
}) {}

/** One ranked document. */
export class RerankResult extends Schema.Class<RerankResult>("aleph-alpha-client/RerankResult")({
  /** The document's position in the request's `documents`. */
  index: Schema.Int,
  relevanceScore: Schema.propertySignature(Schema.Number).pipe(Schema.fromKey("relevance_score"))
}) {}

/** Token usage of a rerank call; `promptTokens` and `completionTokens` are always 0. */
export class RerankUsage extends Schema.Class<RerankUsage>("aleph-alpha-client/RerankUsage")({
  promptTokens: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("prompt_tokens")),
  completionTokens: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("completion_tokens")),
  totalTokens: Schema.propertySignature(Schema.Int).pipe(Schema.fromKey("total_tokens"))
}) {}

/** The answer of `rerank`. */
export class RerankResponse extends Schema.Class<RerankResponse>("aleph-alpha-client/RerankResponse")({
  /** Most relevant first (as the server orders them), at most `topN`. */
  results: Schema.Array(RerankResult),
  usage: RerankUsage
}) {}

export declare namespace RerankRequest {
  /** What `new RerankRequest`, `RerankRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof RerankRequest>
}
