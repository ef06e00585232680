/**
 * The rule for a model argument, checked before anything is sent: the model is injected into
 * request bodies and into URL paths (`models/{model}/tokenizer`), where `.` and `..` would
 * change the path's depth however they are percent-encoded.
 */
import { ValidationError } from "../../errors/AlephAlphaError.js"
import { describeValue } from "../../schema/internal/untypedInput.js"

// C0 and C1 control characters, DEL, and surrogates without their pair
const forbidden = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * The failure for `model` unless it is a model name: a non-empty string of well-formed
 * Unicode without control characters, other than `.` and `..`. `undefined` when it is one.
 */
export const invalidModel = (model: unknown, subject?: string | undefined): ValidationError | undefined => {
  const issue = typeof model !== "string"
    ? `expected a model name (a string), got ${describeValue(model)}`
    : model === ""
    ? "expected a model name, got an empty string"
    : model === "." || model === ".."
    ? `expected a model name, got ${JSON.stringify(model)}`
    : forbidden.test(model)
    ? "a model name may not contain control characters or unpaired surrogates"
    : undefined
  return issue === undefined ? undefined : new ValidationError({ path: "model", issue, ...(subject === undefined ? {} : { subject }) })
}

/**
 * The model and the options of a method that takes `(…, model?, options?)` or `(…, options?)`:
 * an object (not an array) where the model goes is the options. Never throws (untyped code may
 * pass a revoked proxy, which then fails as options are read).
 */
export const modelAndOptions = <O>(
  modelOrOptions: string | O | undefined,
  options: O | undefined
): readonly [model: string | undefined, options: O | undefined] => {
  let isOptions = false
  try {
    isOptions = typeof modelOrOptions === "object" && modelOrOptions !== null && !Array.isArray(modelOrOptions)
  } catch {
    isOptions = true // a revoked proxy: not a model either
  }
  return isOptions ? [undefined, modelOrOptions as O] : [modelOrOptions as string | undefined, options]
}
