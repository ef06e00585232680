/**
 * Structured output for chat: the `response_format` JSON schema, built by hand or from an Effect
 * `Schema` (DESIGN §4, "Structured output").
 */
import * as Effect from "effect/Effect"
import * as JsonSchemaGen from "effect/JSONSchema"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { ValidationError } from "../errors/AlephAlphaError.js"
import { isPlainObject, parseError } from "./internal/plainInput.js"
import { SafeClass } from "./SafeClass.js"
import { describeThrown, validationErrorFromThrow } from "./internal/thrown.js"

/** A JSON Schema document. */
export type JsonSchemaDocument = { readonly [key: string]: unknown }

/** Options of {@link JSONSchema.fromSchema}. */
export interface FromSchemaOptions {
  /** The schema's name; `[a-zA-Z0-9_-]`. Default: the schema's identifier, else `"response"`. */
  readonly name?: string | undefined
  /** Tells the model what the output is for. Default: the schema's description, if any. */
  readonly description?: string | undefined
  /** Whether the model must follow the schema exactly; every field must then be required. Default: true. */
  readonly strict?: boolean | undefined
}

const invalid = (path: string, issue: string) => new ValidationError({ path, issue, subject: "JSONSchema" })

/** Every `properties` key an object schema does not list in `required`, with its path. */
const optionalFields = (node: unknown, path: string, out: Array<string>): Array<string> => {
  if (Array.isArray(node)) {
    node.forEach((item, i) => optionalFields(item, `${path}[${i}]`, out))
  } else if (typeof node === "object" && node !== null) {
    const record = node as Record<string, unknown>
    const properties = record.properties
    if (typeof properties === "object" && properties !== null) {
      const required = new Set(Array.isArray(record.required) ? record.required : [])
      for (const key of Object.keys(properties)) {
        if (!required.has(key)) out.push(path === "" ? key : `${path}.${key}`)
      }
    }
    for (const [key, value] of Object.entries(record)) {
      if (key === "properties" && typeof value === "object" && value !== null) {
        for (const [name, child] of Object.entries(value)) optionalFields(child, path === "" ? name : `${path}.${name}`, out)
      } else if (key !== "required") {
        optionalFields(value, path, out)
      }
    }
  }
  return out
}

/** The fields of a {@link JSONSchema} as the wire's `response_format.json_schema` holds them. */
interface JsonSchemaWire {
  readonly schema: JsonSchemaDocument
  readonly name: string
  readonly description?: string | null
  readonly strict?: boolean
}

/** `response_format` as the wire sends it. */
interface ResponseFormatWire {
  readonly type: "json_schema"
  readonly json_schema: JsonSchemaWire
  readonly schema?: never
  readonly name?: never
  readonly description?: never
  readonly strict?: never
}

/** The wire's `{ type: "json_schema", json_schema: {...} }` as the fields it wraps. */
const jsonSchemaInput = (props: Record<string, unknown>): Record<string, unknown> => {
  if (!("json_schema" in props)) return props
  const { json_schema, type, ...rest } = props
  if (type !== "json_schema") throw parseError("type", type, "expected \"json_schema\" beside json_schema")
  const extra = Object.keys(rest)[0]
  if (extra !== undefined) throw parseError(extra, rest[extra], "give the schema's fields in json_schema or beside it, not both")
  if (!isPlainObject(json_schema)) throw parseError("json_schema", json_schema, "expected an object")
  const { description, ...fields } = json_schema
  return description === null ? fields : json_schema
}

/**
 * A JSON schema for structured output: `schema`, `name`, `description`, `strict`. The
 * constructor also takes the wire's `{ type: "json_schema", json_schema: {...} }`.
 */
export class JSONSchema extends SafeClass<JSONSchema, {} | ResponseFormatWire>("aleph-alpha-client/JSONSchema")({
  /** The JSON Schema the output must follow. */
  schema: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  name: Schema.String.pipe(Schema.pattern(/^[a-zA-Z0-9_-]{1,64}$/)),
  description: Schema.optionalWith(Schema.String, { exact: true }),
  /** Whether the model must follow the schema exactly. Default: false. */
  strict: Schema.optionalWith(Schema.Boolean, { default: () => false })
}, undefined, jsonSchemaInput) {
  /**
   * Builds the JSON schema of an Effect `Schema` (of its encoded, JSON side): the root `$ref`
   * is inlined, `$defs` kept, `$schema` dropped. With `strict` (the default) every field must
   * be required. A schema JSON Schema cannot express is a `ValidationError`, not a throw.
   */
  static fromSchema<A, I, R>(
    schema: Schema.Schema<A, I, R>,
    options: FromSchemaOptions = {}
  ): Effect.Effect<JSONSchema, ValidationError> {
    return Effect.gen(function*() {
      // options from untyped code may be anything, or throw when read
      let strict: boolean
      let givenName: string | undefined
      let givenDescription: string | undefined
      try {
        const fields: FromSchemaOptions = typeof options === "object" && options !== null ? options : {}
        strict = fields.strict ?? true
        givenName = fields.name
        givenDescription = fields.description
      } catch (thrown) {
        return yield* validationErrorFromThrow(thrown, options, "FromSchemaOptions")
      }
      const document = yield* Effect.try({
        try: () => JsonSchemaGen.make(schema) as unknown as Record<string, unknown>,
        catch: (error) => invalid("schema", `cannot be expressed as JSON Schema: ${describeThrown(error)}`)
      })
      const { $schema: _, $ref, $defs, ...rest } = document
      let root: Record<string, unknown> = rest
      if (typeof $ref === "string" && typeof $defs === "object" && $defs !== null) {
        const target = ($defs as Record<string, unknown>)[$ref.replace(/^#\/\$defs\//, "")]
        if (typeof target === "object" && target !== null) root = { ...(target as Record<string, unknown>), ...rest }
      }
      if ($defs !== undefined) root = { ...root, $defs }
      if (strict) {
        const optional = optionalFields(root, "", [])
        if (optional.length > 0) {
          return yield* invalid(
            `schema.${optional[0]}`,
            `strict structured output needs every field to be required (optional: ${optional.join(", ")}); ` +
              `make them required or pass strict: false`
          )
        }
      }
      const identifier = Option.getOrUndefined(SchemaAST.getIdentifierAnnotation(schema.ast)) ??
        (SchemaAST.isTransformation(schema.ast)
          ? Option.getOrUndefined(SchemaAST.getIdentifierAnnotation(schema.ast.to))
          : undefined)
      const name = givenName ?? (identifier?.replace(/^.*\//, "").replace(/[^a-zA-Z0-9_-]/g, "_") || "response")
      const description = givenDescription ??
        (typeof root.description === "string" ? root.description : undefined)
      return yield* JSONSchema.make({ schema: root, name, strict, ...(description === undefined ? {} : { description }) })
    })
  }
}

/** `response_format`: `{"type": "json_schema", "json_schema": {...}}`. */
export const ResponseFormat = Schema.transform(
  Schema.Struct({
    type: Schema.Literal("json_schema"),
    json_schema: Schema.Struct({
      schema: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
      name: Schema.String,
      description: Schema.optional(Schema.NullOr(Schema.String)),
      strict: Schema.optional(Schema.Boolean)
    })
  }),
  Schema.typeSchema(JSONSchema),
  {
    strict: true,
    decode: ({ json_schema }) =>
      new JSONSchema({
        schema: json_schema.schema,
        name: json_schema.name,
        strict: json_schema.strict ?? false,
        ...(json_schema.description == null ? {} : { description: json_schema.description })
      }, { disableValidation: true }),
    encode: (format) => ({
      type: "json_schema" as const,
      json_schema: {
        schema: format.schema,
        name: format.name,
        ...(format.description === undefined ? {} : { description: format.description }),
        strict: format.strict
      }
    })
  }
)

/** Drops a leading `<think>…</think>` block that reasoning models put before their answer. */
export const stripThinking = (content: string): string => content.replace(/^\s*<think>[\s\S]*?<\/think>/, "").trim()
