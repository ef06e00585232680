/** Promise versions of the template loaders (`aleph-alpha-client/template`); reject with a `ValidationError`. */
import * as Layer from "effect/Layer"
import { PromptTemplate } from "../prompt/PromptTemplate.js"
import type { Prompt } from "../schema/Prompt.js"
import { runner } from "./internal/runner.js"

const run = runner(() => Layer.empty)

/** `PromptTemplate.make`: parses a Liquid template (a syntax error rejects with a `ValidationError`). */
export const promptTemplate = (source: string): Promise<PromptTemplate> => run("PromptTemplate.make", () => PromptTemplate.make(source))

/** `template.toPrompt(variables)`: renders the template into a `Prompt`. */
export const renderPromptTemplate = (
  template: PromptTemplate,
  variables: Record<string, unknown> = {}
): Promise<Prompt> => run("template.toPrompt", () => template.toPrompt(variables))
