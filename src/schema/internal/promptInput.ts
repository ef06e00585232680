/**
 * The coercer of a prompt field (`prompt`, `prompts`, `input`): a string or a list of items
 * through `new Prompt`, a `Prompt` as it is.
 */
import { Prompt } from "../Prompt.js"
import type { Coerce } from "./plainInput.js"
import { isInstance } from "./plainInput.js"

export const promptInput: Coerce = (value, options) =>
  typeof value === "string" || (Array.isArray(value) && !isInstance(value, Prompt)) ? new Prompt(value, options) : value
