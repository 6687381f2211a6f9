/**
 * Jwks against real fake providers on 127.0.0.1: discovery, merging, sharing one fetch,
 * timeouts, outages, rotation and the refresh throttle.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { Jwks, providersOf } from "../../src/auth/Jwks.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { Readiness } from "../../src/monitoring/Readiness.ts"
import { eventually } from "../support/eventually.ts"
import { oidcProvider } from "../support/oidcProvider.ts"
import { captureLogs, fastRetries, jwksStack } from "./harness.ts"

const kidsOf = (keys: ReadonlyArray<{ readonly kid: string | undefined }>) =>
  keys.map((key) => key.kid).sort()

/** A token of `provider` naming a key nobody published. */
const unknown = (provider: { readonly issuer: string }, kid = "never-published") => ({
  issuer: provider.issuer,
  kid,
})

const readyCheck = Effect.map(Effect.service(Readiness), (readiness) => readiness.current)

describe("Jwks", () => {
  it.live("merges the keys of both providers, each with its issuer, and reports ready", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider({ keys: 2 })
      const customers = yield* oidcProvider({ issuer: (url) => `${url}/` })
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const jwks = yield* Jwks
        const keySet = yield* jwks.current
        assert.deepStrictEqual(
          kidsOf(keySet.keys),
          [...gitlab.keys(), ...customers.keys()].map((key) => key.kid).sort(),
        )
        for (const key of keySet.keys) {
          const owner = gitlab.keys().some((k) => k.kid === key.kid) ? gitlab : customers
          assert.strictEqual(key.provider, owner.url)
          // Issuers are kept without their trailing slash.
          assert.strictEqual(key.issuer, owner.url)
        }
        assert.deepStrictEqual(keySet.failedProviders, [])
        const report = yield* (yield* readyCheck)
        assert.deepStrictEqual(report, { ready: true, checks: { jwks: true } })
      }).pipe(Effect.provide(jwksStack({ providers: [gitlab.url, customers.url] }, logs.layer)))
    }))

  it.live("shares one fetch between concurrent callers", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const jwks = yield* Jwks
        yield* Effect.all(Array.from({ length: 25 }, () => jwks.current), { concurrency: "unbounded" })
        assert.deepStrictEqual(gitlab.hits, { discovery: 1, jwks: 1 })
        yield* Effect.all(Array.from({ length: 25 }, () => jwks.refreshForUnknownKey(unknown(gitlab))), {
          concurrency: "unbounded",
        })
        assert.deepStrictEqual(gitlab.hits, { discovery: 2, jwks: 2 })
      }).pipe(Effect.provide(jwksStack({ providers: [gitlab.url] }, logs.layer)))
    }))

  it.live("keeps the other provider's keys when one is down, and names it in a warning", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const customers = yield* oidcProvider()
      customers.setMode("down")
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const keySet = yield* (yield* Jwks).current
        assert.deepStrictEqual(kidsOf(keySet.keys), [gitlab.keys()[0]!.kid])
        assert.deepStrictEqual(keySet.failedProviders, [customers.url])
        assert.isTrue((yield* (yield* readyCheck)).ready)
        const warning = logs.records().find((record) => record.level === "warning")
        assert.strictEqual(warning?.provider, customers.url)
        assert.include(String(warning?.reason), "HTTP status 503")
      }).pipe(
        Effect.provide(jwksStack({ providers: [gitlab.url, customers.url], ...fastRetries }, logs.layer)),
      )
    }))

  it.live("checks the HTTP status of the discovery document", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      gitlab.setDiscoveryStatus(404)
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const keySet = yield* (yield* Jwks).current
        assert.deepStrictEqual(keySet.keys, [])
        assert.strictEqual(gitlab.hits.jwks, 0)
        const warning = logs.records().find((record) => record.level === "warning")
        assert.include(String(warning?.reason), "HTTP status 404")
        assert.include(String(warning?.url), "/.well-known/openid-configuration")
      }).pipe(Effect.provide(jwksStack({ providers: [gitlab.url] }, logs.layer)))
    }))

  it.live("gives up on a provider that does not answer within the timeout, without blocking the other", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const customers = yield* oidcProvider()
      customers.setMode("hang")
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const started = Date.now()
        const keySet = yield* (yield* Jwks).current
        assert.isBelow(Date.now() - started, 2_000)
        assert.deepStrictEqual(kidsOf(keySet.keys), [gitlab.keys()[0]!.kid])
        assert.deepStrictEqual(keySet.failedProviders, [customers.url])
        const warning = logs.records().find((record) => record.level === "warning")
        assert.include(String(warning?.reason), "no answer within")
      }).pipe(
        Effect.provide(
          jwksStack({ providers: [gitlab.url, customers.url], requestTimeout: "150 millis" }, logs.layer),
        ),
      )
    }))

  it.live("with every provider down: no keys, not ready, an error naming the providers; ready once one is back", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const customers = yield* oidcProvider()
      gitlab.setMode("down")
      customers.setMode("down")
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const jwks = yield* Jwks
        const keySet = yield* jwks.current
        assert.deepStrictEqual(keySet.keys, [])
        assert.isFalse((yield* (yield* readyCheck)).ready)
        const error = logs.records().find((record) => record.level === "error")
        assert.include(String(error?.event), gitlab.url)
        assert.include(String(error?.event), customers.url)
        // The background retry picks the provider up without any request.
        customers.setMode("up")
        const readiness = yield* Readiness
        yield* Effect.promise(() =>
          eventually(async () => (await Effect.runPromise(readiness.current)).ready)
        )
        assert.deepStrictEqual(kidsOf((yield* jwks.current).keys), [customers.keys()[0]!.kid])
      }).pipe(
        Effect.provide(jwksStack({ providers: [gitlab.url, customers.url], ...fastRetries }, logs.layer)),
      )
    }))

  it.live("keeps the last good keys when a refresh fails", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const jwks = yield* Jwks
        const before = yield* jwks.current
        gitlab.setMode("down")
        const after = yield* jwks.refreshForUnknownKey(unknown(gitlab))
        assert.isAbove(after.generation, before.generation)
        assert.deepStrictEqual(after.keys, before.keys)
        assert.deepStrictEqual(after.failedProviders, [gitlab.url])
        assert.isTrue((yield* (yield* readyCheck)).ready)
      }).pipe(Effect.provide(jwksStack({ providers: [gitlab.url] }, logs.layer)))
    }))

  it.live("picks up a rotation at once and drops a retired key", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const jwks = yield* Jwks
        const old = gitlab.keys()[0]!
        yield* jwks.current
        const fresh = yield* Effect.promise(() => gitlab.rotate())
        gitlab.retire(old.kid)
        const keySet = yield* jwks.refreshForUnknownKey(unknown(gitlab))
        assert.deepStrictEqual(kidsOf(keySet.keys), [fresh.kid])
        assert.isTrue(keySet.kids.has(fresh.kid))
        assert.isFalse(keySet.kids.has(old.kid))
      }).pipe(Effect.provide(jwksStack({ providers: [gitlab.url] }, logs.layer)))
    }))

  it.effect("refreshes for unknown keys at most once per 60 s", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.now())
      const gitlab = yield* oidcProvider()
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const jwks = yield* Jwks
        yield* jwks.current
        assert.strictEqual(gitlab.hits.discovery, 1)
        yield* jwks.refreshForUnknownKey(unknown(gitlab))
        assert.strictEqual(gitlab.hits.discovery, 2)
        yield* jwks.refreshForUnknownKey(unknown(gitlab))
        yield* TestClock.adjust("59 seconds")
        yield* jwks.refreshForUnknownKey(unknown(gitlab))
        assert.strictEqual(gitlab.hits.discovery, 2)
        yield* TestClock.adjust("2 seconds")
        yield* jwks.refreshForUnknownKey(unknown(gitlab))
        assert.strictEqual(gitlab.hits.discovery, 3)
      }).pipe(Effect.provide(jwksStack({ providers: [gitlab.url] }, logs.layer)))
    }))

  it.live("picks up a real rotation at once right after a garbage kid", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const jwks = yield* Jwks
        yield* jwks.current
        yield* jwks.refreshForUnknownKey(unknown(gitlab, "garbage\nkid"))
        assert.strictEqual(gitlab.hits.jwks, 2)
        const fresh = yield* Effect.promise(() => gitlab.rotate())
        const keySet = yield* jwks.refreshForUnknownKey(unknown(gitlab, fresh.kid))
        assert.isTrue(keySet.kids.has(fresh.kid))
        assert.strictEqual(gitlab.hits.jwks, 3)
      }).pipe(Effect.provide(jwksStack({ providers: [gitlab.url] }, logs.layer)))
    }))

  it.effect("lets one provider's unknown kids refresh at most 10 times per 60 s, the other's still", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.now())
      const gitlab = yield* oidcProvider()
      const customers = yield* oidcProvider()
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const jwks = yield* Jwks
        yield* jwks.current
        for (let index = 0; index < 50; index++) {
          yield* jwks.refreshForUnknownKey(unknown(gitlab, `garbage-${index}`))
        }
        // Issuers of no provider share one allowance too.
        for (let index = 0; index < 50; index++) {
          yield* jwks.refreshForUnknownKey({ issuer: `https://attacker.example/${index}`, kid: `k${index}` })
        }
        assert.strictEqual(gitlab.hits.jwks, 1 + 10 + 10)
        const fresh = yield* Effect.promise(() => customers.rotate())
        const keySet = yield* jwks.refreshForUnknownKey(unknown(customers, fresh.kid))
        assert.isTrue(keySet.kids.has(fresh.kid))
        yield* TestClock.adjust("61 seconds")
        yield* jwks.refreshForUnknownKey(unknown(gitlab, "garbage-0"))
        assert.strictEqual(gitlab.hits.jwks, 1 + 10 + 10 + 1 + 1)
      }).pipe(Effect.provide(jwksStack({ providers: [gitlab.url, customers.url] }, logs.layer)))
    }))

  it.effect("fetches again in the background after 24 hours", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.now())
      const gitlab = yield* oidcProvider()
      const logs = captureLogs()
      yield* Effect.gen(function* () {
        const jwks = yield* Jwks
        yield* jwks.current
        yield* TestClock.adjust("23 hours")
        assert.strictEqual(gitlab.hits.discovery, 1)
        yield* TestClock.adjust("1 hour")
        // The background fetch runs over real HTTP: wait for it in real time.
        yield* Effect.promise(() => eventually(() => gitlab.hits.jwks >= 2))
        assert.strictEqual(gitlab.hits.jwks, 2)
      }).pipe(Effect.provide(jwksStack({ providers: [gitlab.url] }, logs.layer)))
    }))
})

describe("providersOf", () => {
  it.effect("takes the set provider URLs once each, ignoring empty ones", () =>
    Effect.gen(function* () {
      const of = (env: Record<string, string>) =>
        Effect.map(Effect.service(AppConfig), providersOf).pipe(Effect.provide(AppConfig.layerTest(env)))
      assert.deepStrictEqual(yield* of({}), ["https://gitlab.com", "https://customers.gitlab.com"])
      assert.deepStrictEqual(
        yield* of({ AIGW_GITLAB_URL: "https://gitlab.example.com/", AIGW_CUSTOMER_PORTAL_URL: "" }),
        ["https://gitlab.example.com/"],
      )
      assert.deepStrictEqual(
        yield* of({
          AIGW_GITLAB_URL: "https://gitlab.example.com",
          AIGW_CUSTOMER_PORTAL_URL: "https://gitlab.example.com/",
        }),
        ["https://gitlab.example.com"],
      )
    }))
})
