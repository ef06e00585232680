/**
 * Runs the Effect loaders for Promise code: one `ManagedRuntime` per loader module, built on
 * first use; a failure rejects with the error itself (`MediaError`, `ValidationError`, …).
 */
import * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { validationErrorFromThrow } from "../../schema/internal/thrown.js"

/**
 * A function running the effect `effect()` makes, which needs `R`, with `layer()` built when
 * first needed (its failure rejects every call); what `effect()` throws rejects as a
 * `ValidationError` about `subject`.
 */
export const runner = <R, LE = never>(layer: () => Layer.Layer<R, LE>) => {
  let runtime: ManagedRuntime.ManagedRuntime<R, LE> | undefined
  return async <A, E>(subject: string, effect: () => Effect.Effect<A, E, R>): Promise<A> => {
    let made: Effect.Effect<A, E, R>
    try {
      made = effect()
    } catch (thrown) {
      // an argument from untyped code the loader could not even call a method on (`null` for an image)
      throw validationErrorFromThrow(thrown, undefined, subject)
    }
    const exit = await (runtime ??= ManagedRuntime.make(layer())).runPromiseExit(made)
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    throw Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
  }
}
