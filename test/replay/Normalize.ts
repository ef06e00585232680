/**
 * The request-body normalisation of the cassettes README ("Comparing request bodies"): applied
 * to the recorded body and to the body the client sent before they are compared.
 */

type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

const completeDefaults: Readonly<Record<string, Json>> = {
  temperature: 0,
  top_k: 0,
  top_p: 0,
  presence_penalty: 0,
  frequency_penalty: 0,
  sequence_penalty: 0,
  sequence_penalty_min_length: 2,
  n: 1,
  minimum_tokens: 0,
  repetition_penalties_include_prompt: false,
  repetition_penalties_include_completion: true,
  use_multiplicative_presence_penalty: false,
  use_multiplicative_frequency_penalty: false,
  use_multiplicative_sequence_penalty: false,
  tokens: false,
  echo: false,
  raw_completion: false,
  disable_optimizations: false,
  completion_bias_inclusion_first_token_only: false,
  completion_bias_exclusion_first_token_only: false,
  control_log_additive: true
}

const embeddingDefaults = { normalize: false, control_log_additive: true }

const defaultsByEndpoint: Readonly<Record<string, Readonly<Record<string, Json>>>> = {
  "/complete": completeDefaults,
  "/embed": { tokens: false, normalize: false, control_log_additive: true },
  "/semantic_embed": embeddingDefaults,
  "/batch_semantic_embed": embeddingDefaults,
  "/instructable_embed": embeddingDefaults,
  "/evaluate": { control_log_additive: true }
}

const isObject = (u: unknown): u is { readonly [key: string]: Json } =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** Drops every key whose value is `null`, at any depth. */
const dropNulls = (value: Json): Json => {
  if (Array.isArray(value)) return value.map(dropNulls)
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, dropNulls(v)])
    )
  }
  return value
}

const normalizePrompt = (prompt: Json): Json => {
  if (typeof prompt === "string") return [{ type: "text", data: prompt }]
  if (!Array.isArray(prompt)) return prompt
  return prompt.map((item) => {
    if (!isObject(item)) return item
    const { controls, ...rest } = item
    return Array.isArray(controls) && controls.length === 0 ? rest : item
  })
}

/** Normalises a request body of `endpoint` (a path without `/v1`, e.g. `/complete`). */
export const normalizeBody = (endpoint: string, body: unknown): unknown => {
  if (!isObject(body)) return body
  const out: Record<string, Json> = { ...(dropNulls(body) as Record<string, Json>) }
  for (const [key, value] of Object.entries(defaultsByEndpoint[endpoint] ?? {})) {
    if (key in out && out[key] === value) delete out[key]
  }
  for (const key of ["prompt", "input"]) {
    if (key in out) out[key] = normalizePrompt(out[key]!)
  }
  if (Array.isArray(out.prompts)) out.prompts = out.prompts.map(normalizePrompt)
  if (endpoint === "/chat/completions" && "maximum_tokens" in out) {
    out.max_tokens = out.maximum_tokens!
    delete out.maximum_tokens
  }
  return out
}
