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
