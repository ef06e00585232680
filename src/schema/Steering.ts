/**
 * `POST steering_concepts` (api-reference §4.15, beta): a steering concept from paired
 * examples, whose id goes into `steeringConcepts` of completion and chat requests.
 */
import * as Schema from "effect/Schema"
import { type InputOf, SafeClass } from "./SafeClass.js"
import { arrayOf, fieldsOf, instanceOf } from "./internal/plainInput.js"

/** The same content in the style to avoid (`negative`) and in the style to steer to (`positive`). */
export class SteeringPairedExample extends SafeClass<SteeringPairedExample>("aleph-alpha-client/SteeringPairedExample")({
  negative: Schema.String,
  positive: Schema.String
}) {}

/** Creates a steering concept. The same examples give the same id. */
export class SteeringConceptCreationRequest extends SafeClass<
  SteeringConceptCreationRequest,
  { readonly examples: ReadonlyArray<InputOf<typeof SteeringPairedExample>> }
>("aleph-alpha-client/SteeringConceptCreationRequest")({
  /** At least one pair (instances or plain objects). */
  examples: Schema.Array(SteeringPairedExample).pipe(Schema.minItems(1))
}, undefined, fieldsOf({ examples: arrayOf(instanceOf(SteeringPairedExample)) })) {}

/** The answer of `createSteeringConcept` (HTTP 201). */
export class SteeringConceptCreationResponse extends Schema.Class<SteeringConceptCreationResponse>(
  "aleph-alpha-client/SteeringConceptCreationResponse"
)({
  /** Pass it in `steeringConcepts` of a completion or chat request. */
  id: Schema.String
}) {}

export declare namespace SteeringConceptCreationRequest {
  /** What `new SteeringConceptCreationRequest`, `SteeringConceptCreationRequest.make` and the methods taking one accept (see {@link InputOf}). */
  export type Input = InputOf<typeof SteeringConceptCreationRequest>
}
