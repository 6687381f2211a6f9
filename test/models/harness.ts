/**
 * The model services wired as in production (real providers, real SDKs, Resilience, the catalog,
 * the runtime's upstream HttpClient: undici's pool under Node, fetch under Deno) against loopback
 * fakes, with short timings so failures show up in milliseconds.
 */
import { Cause, Effect, Exit, Layer, Stream } from "effect"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { ModelCatalog } from "../../src/models/catalog.ts"
import { modelServices } from "../../src/models/layer.ts"
import { Providers } from "../../src/models/Providers.ts"
import { Resilience, type ResilienceOptions } from "../../src/models/resilience.ts"
import { VertexCredentials } from "../../src/models/vertex/client.ts"
import * as UpstreamClient from "../../src/net/upstreamClient.ts"
import { Metrics } from "../../src/observability/Metrics.ts"

export const testToken = "vertex-test-token"

export interface HarnessOptions {
  readonly env?: Readonly<Record<string, string>>
  readonly resilience?: Partial<ResilienceOptions>
  readonly catalog?: unknown
}

export const modelsLayer = (options: HarnessOptions = {}) =>
  Layer.mergeAll(modelServices, ModelCatalog.layerFrom(options.catalog)).pipe(
    Layer.provide(Layer.mergeAll(
      Providers.layer.pipe(
        Layer.provide(
          Layer.mergeAll(VertexCredentials.layerStatic(testToken), UpstreamClient.layerForRuntime),
        ),
      ),
      Resilience.layerWith({
        timeout: "2 seconds",
        baseDelay: "5 millis",
        maxDelay: "2 seconds",
        ...options.resilience,
      }),
    )),
    Layer.provideMerge(Layer.mergeAll(Metrics.layer, AppConfig.layerTest(options.env ?? {}))),
  )

export type Services = Layer.Success<ReturnType<typeof modelsLayer>>

export const run = <A, E>(options: HarnessOptions, effect: Effect.Effect<A, E, Services>): Promise<A> =>
  Effect.runPromise(Effect.provide(effect, modelsLayer(options)))

/** The typed failure of an effect (throws if it succeeded or died). */
export const failureOf = async <A, E>(
  options: HarnessOptions,
  effect: Effect.Effect<A, E, Services>,
): Promise<E> => {
  const exit = await Effect.runPromise(Effect.exit(Effect.provide(effect, modelsLayer(options))))
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const failure = exit.cause.reasons.find(Cause.isFailReason)
  if (failure === undefined) throw new Error(`expected a typed failure, got ${Cause.pretty(exit.cause)}`)
  return failure.error as E
}

/** The typed failure in a stream's exit (as `drain` returns it), if it failed with one. */
export const typedFailure = (exit: Exit.Exit<unknown, unknown>): Error | undefined =>
  Exit.isFailure(exit) ? exit.cause.reasons.find(Cause.isFailReason)?.error as Error | undefined : undefined

/** Runs a stream to its end, keeping the chunks received before a failure. */
export const drain = <E, R>(stream: Stream.Stream<string, E, R>) =>
  Effect.gen(function* () {
    const chunks: Array<string> = []
    const exit = yield* Effect.exit(
      Stream.runForEach(stream, (chunk) => Effect.sync(() => void chunks.push(chunk))),
    )
    return { chunks, exit }
  })
