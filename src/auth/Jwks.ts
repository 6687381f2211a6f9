/**
 * Jwks: the signing keys of every configured OIDC provider, merged and kept fresh (SPEC §2, §11).
 *
 * - The first fetch starts when the layer is built, in the background: readiness ("jwks")
 *   turns true once any provider's keys were loaded, and requests that arrive before then
 *   wait for that same fetch instead of starting their own.
 * - Every fetch is shared: concurrent callers join the one in flight; it runs in the layer's
 *   scope, so a client that goes away does not cancel it for the others.
 * - Keys are kept 24 h, then fetched again in the background, so no request waits for it.
 *   A provider that fails keeps its last good keys and is retried in the background with a
 *   backoff (1 s, doubling, up to 5 min); the other providers' keys are unaffected.
 * - A token naming a key we do not hold asks for a refresh. The throttle is per provider (the
 *   one whose issuer the token claims) and per `kid`: the same kid refreshes at most once per
 *   60 s, and one provider's unknown kids at most 10 times per 60 s. So a garbage kid does not
 *   block a real rotation, and garbage tokens cannot make us hammer the providers. Within 60 s
 *   of a failed fetch a request waits for it at most 2 s, so a hung provider costs one timeout.
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Scope from "effect/Scope"
import * as HttpClient from "effect/http/HttpClient"
import { AppConfig, type AppConfigShape } from "../config/AppConfig.ts"
import { Readiness } from "../monitoring/Readiness.ts"
import {
  fetchProviderKeys,
  type JwksFetchError,
  type ProviderKeys,
  type VerificationKey,
  withoutTrailingSlash,
} from "./oidcDiscovery.ts"

/** The merged keys of every provider at one moment. */
export interface KeySet {
  readonly keys: ReadonlyArray<VerificationKey>
  /** Every `kid` present, to tell an unknown key from a key of another provider. */
  readonly kids: ReadonlySet<string>
  /** Providers whose latest fetch failed (their previous keys, if any, are still in `keys`). */
  readonly failedProviders: ReadonlyArray<string>
  /** Incremented by every finished fetch; tells a caller whether a refresh happened. */
  readonly generation: number
}

export interface JwksShape {
  /** The configured providers (base URLs). */
  readonly providers: ReadonlyArray<string>
  /** The current keys; waits for the first fetch when it has not finished yet. */
  readonly current: Effect.Effect<KeySet>
  /**
   * Fetches again because a token named a key we do not hold, unless the throttle of its
   * provider and kid says no; returns the keys after it.
   */
  readonly refreshForUnknownKey: (token: UnknownKey) => Effect.Effect<KeySet>
}

/** What an unverified token says about its key: its claimed issuer and its `kid`. */
export interface UnknownKey {
  readonly issuer: string
  readonly kid: string | undefined
}

export interface JwksOptions {
  readonly providers: ReadonlyArray<string>
  /** Per HTTP call (discovery, then key set). Default 10 s. */
  readonly requestTimeout?: Duration.Input
  /** How long a complete key set is kept before it is fetched again. Default 24 h. */
  readonly cacheTtl?: Duration.Input
  /** Minimum time between refreshes asked for by the same unknown kid. Default 60 s. */
  readonly unknownKeyRefreshInterval?: Duration.Input
  /** Refreshes one provider's unknown kids may ask for within that interval. Default 10. */
  readonly unknownKeyRefreshesPerInterval?: number
  /** Backoff after a failed provider: first delay (default 1 s), doubled up to `retryMax` (5 min). */
  readonly retryInitial?: Duration.Input
  readonly retryMax?: Duration.Input
}

/** The providers of the configuration: the set URLs, each once. */
export const providersOf = (config: AppConfigShape): ReadonlyArray<string> => {
  const seen = new Set<string>()
  const providers: Array<string> = []
  for (const url of [config.gitlabUrl, config.customerPortalUrl]) {
    const trimmed = url.trim()
    const key = withoutTrailingSlash(trimmed)
    if (trimmed === "" || seen.has(key)) continue
    seen.add(key)
    providers.push(trimmed)
  }
  return providers
}

interface State {
  /** The last good keys of each provider. */
  readonly byProvider: ReadonlyMap<string, ProviderKeys>
  readonly keySet: KeySet
  /** Whether a first fetch has finished (successfully or not). */
  readonly settled: boolean
}

const mergeKeys = (
  providers: ReadonlyArray<string>,
  byProvider: ReadonlyMap<string, ProviderKeys>,
  failedProviders: ReadonlyArray<string>,
  generation: number,
): KeySet => {
  const keys = providers.flatMap((provider) => byProvider.get(provider)?.keys ?? [])
  const kids = new Set<string>()
  for (const key of keys) if (key.kid !== undefined) kids.add(key.kid)
  return { keys, kids, failedProviders, generation }
}

const emptyKeySet: KeySet = { keys: [], kids: new Set(), failedProviders: [], generation: 0 }

const readinessCheck = "jwks"

/** How long a request waits for an unknown-key refresh right after a fetch failed. */
const afterFailureWait = Duration.seconds(2)

const make = (options: JwksOptions) =>
  Effect.gen(function* () {
    const providers = options.providers
    const requestTimeout = options.requestTimeout ?? "10 seconds"
    const cacheTtl = options.cacheTtl ?? "24 hours"
    const throttleMillis = Duration.toMillis(options.unknownKeyRefreshInterval ?? "60 seconds")
    const refreshesPerInterval = options.unknownKeyRefreshesPerInterval ?? 10
    const retryInitialMillis = Duration.toMillis(options.retryInitial ?? "1 second")
    const retryMaxMillis = Duration.toMillis(options.retryMax ?? "5 minutes")

    const readiness = yield* Readiness
    const scope = yield* Scope.Scope
    // A fetch shared by many requests runs with the layer's services, loggers and log
    // annotations, not with those of the request that happened to start it.
    const layerContext = yield* Effect.context<HttpClient.HttpClient>()
    const state = yield* Ref.make<State>({ byProvider: new Map(), keySet: emptyKeySet, settled: false })
    const inFlight = yield* Ref.make<Deferred.Deferred<KeySet> | undefined>(undefined)
    // Per provider (by the issuer a token claims; one shared entry for issuers of no loaded
    // provider): when each recent refresh was allowed, and for which kid. At most
    // `refreshesPerInterval` entries per provider survive an interval, so this stays small.
    const recentRefreshes = yield* Ref.make<ReadonlyMap<string, ReadonlyArray<{ kid: string; at: number }>>>(
      new Map(),
    )
    // After a failed fetch, a request does not wait out another full timeout for an unknown key:
    // it waits briefly (a provider that is back answers at once), then gets the keys there are.
    const lastFailedFetch = yield* Ref.make<number | undefined>(undefined)

    yield* readiness.report(readinessCheck, false)
    if (providers.length === 0) {
      yield* Effect.logError(
        "authentication is on but no OIDC provider is configured (AIGW_GITLAB_URL, AIGW_CUSTOMER_PORTAL_URL): every request will be refused",
      )
    }

    const fetchAll = Effect.gen(function* () {
      const results = yield* Effect.forEach(
        providers,
        (provider) => Effect.result(fetchProviderKeys(provider, requestTimeout)),
        { concurrency: "unbounded" },
      )
      const failures: Array<JwksFetchError> = []
      const next = yield* Ref.modify(state, (previous): [State, State] => {
        const byProvider = new Map(previous.byProvider)
        for (const result of results) {
          if (result._tag === "Success") byProvider.set(result.success.provider, result.success)
          else failures.push(result.failure)
        }
        const failed = failures.map((failure) => failure.provider)
        const updated: State = {
          byProvider,
          keySet: mergeKeys(providers, byProvider, failed, previous.keySet.generation + 1),
          settled: true,
        }
        return [updated, updated]
      })
      for (const failure of failures) {
        yield* Effect.logWarning("could not fetch the signing keys of an OIDC provider", {
          provider: failure.provider,
          url: failure.url,
          reason: failure.reason,
          keys_kept: next.byProvider.get(failure.provider)?.keys.length ?? 0,
        })
      }
      if (next.keySet.keys.length === 0) {
        yield* Effect.logError(
          `no signing keys from any OIDC provider (${
            providers.join(", ") || "none configured"
          }): every authenticated request is refused with 401 until one answers`,
          { providers },
        )
      } else {
        yield* Effect.logInfo("loaded the signing keys of the OIDC providers", {
          providers: [...next.byProvider.values()].map((entry) => ({
            provider: entry.provider,
            issuer: entry.issuer,
            kids: entry.keys.map((key) => key.kid ?? null),
          })),
          failed_providers: next.keySet.failedProviders,
        })
      }
      if (failures.length > 0) yield* Ref.set(lastFailedFetch, yield* Clock.currentTimeMillis)
      yield* readiness.report(readinessCheck, next.keySet.keys.length > 0)
      return next.keySet
    }).pipe(
      Effect.annotateLogs("logger", "auth.jwks"),
      Effect.updateContext((_: Context.Context<never>) => layerContext),
    )

    /** Joins the fetch in flight, or starts one in the layer's scope. */
    const refresh: Effect.Effect<KeySet> = Effect.gen(function* () {
      const mine = yield* Deferred.make<KeySet>()
      const running = yield* Ref.modify(
        inFlight,
        (current): [Deferred.Deferred<KeySet> | undefined, Deferred.Deferred<KeySet>] =>
          current === undefined ? [undefined, mine] : [current, current],
      )
      if (running !== undefined) return yield* Deferred.await(running)
      yield* fetchAll.pipe(
        Effect.onExit((exit) => Effect.andThen(Ref.set(inFlight, undefined), Deferred.done(mine, exit))),
        Effect.forkIn(scope),
      )
      return yield* Deferred.await(mine)
    })

    const current: Effect.Effect<KeySet> = Effect.flatMap(
      Ref.get(state),
      (snapshot) => snapshot.settled ? Effect.succeed(snapshot.keySet) : refresh,
    )

    /** Whether this provider and kid may refresh now; records the refresh when so. */
    const allowRefresh = (token: UnknownKey, now: number, keySet: KeySet) =>
      Ref.modify(
        recentRefreshes,
        (recent): [boolean, ReadonlyMap<string, ReadonlyArray<{ kid: string; at: number }>>] => {
          const provider = keySet.keys.some((key) => key.issuer === token.issuer) ? token.issuer : ""
          const kid = token.kid ?? ""
          const kept = (recent.get(provider) ?? []).filter((entry) => now - entry.at < throttleMillis)
          const allowed = kept.length < refreshesPerInterval && !kept.some((entry) => entry.kid === kid)
          const next = new Map(recent)
          next.set(provider, allowed ? [...kept, { kid, at: now }] : kept)
          return [allowed, next]
        },
      )

    const refreshForUnknownKey = (token: UnknownKey): Effect.Effect<KeySet> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const failedAt = yield* Ref.get(lastFailedFetch)
        const patience = failedAt !== undefined && now - failedAt < throttleMillis
          ? <A>(keys: Effect.Effect<KeySet, never, A>) =>
            Effect.timeoutOrElse(keys, {
              duration: afterFailureWait,
              orElse: () => Effect.map(Ref.get(state), (s) => s.keySet),
            })
          : <A>(keys: Effect.Effect<KeySet, never, A>) => keys
        const allowed = yield* allowRefresh(token, now, (yield* Ref.get(state)).keySet)
        if (allowed) return yield* patience(refresh)
        const running = yield* Ref.get(inFlight)
        if (running !== undefined) return yield* patience(Deferred.await(running))
        return (yield* Ref.get(state)).keySet
      })

    const keepFresh = (failedRounds: number): Effect.Effect<void> =>
      Effect.flatMap(refresh, (keySet) => {
        const complete = keySet.failedProviders.length === 0
        const delay = complete
          ? cacheTtl
          : Duration.millis(Math.min(retryInitialMillis * 2 ** failedRounds, retryMaxMillis))
        return Effect.andThen(
          Effect.sleep(delay),
          Effect.suspend(() => keepFresh(complete ? 0 : failedRounds + 1)),
        )
      })
    yield* Effect.forkIn(keepFresh(0), scope)

    return Jwks.of({ providers, current, refreshForUnknownKey })
  })

export class Jwks extends Context.Service<Jwks, JwksShape>()("aigw/auth/Jwks") {
  /** The providers of AppConfig with the production timings. */
  static readonly layer: Layer.Layer<Jwks, never, AppConfig | Readiness | HttpClient.HttpClient> = Layer
    .unwrap(
      Effect.map(Effect.service(AppConfig), (config) => Jwks.layerWith({ providers: providersOf(config) })),
    )

  /** Explicit providers and timings (tests shorten the retry delays). */
  static readonly layerWith = (
    options: JwksOptions,
  ): Layer.Layer<Jwks, never, Readiness | HttpClient.HttpClient> => Layer.effect(Jwks, make(options))
}
