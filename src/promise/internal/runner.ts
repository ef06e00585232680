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

/** A function running effects that need `R`, with `layer()` built when first needed. */
export const runner = <R>(layer: () => Layer.Layer<R>) => {
  let runtime: ManagedRuntime.ManagedRuntime<R, never> | undefined
  return async <A, E>(effect: Effect.Effect<A, E, R>): Promise<A> => {
    const exit = await (runtime ??= ManagedRuntime.make(layer())).runPromiseExit(effect)
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    throw Option.isSome(failure) ? failure.value : Cause.squash(exit.cause)
  }
}
