/**
 * Authenticator against real fake providers: every rule of SPEC §2 on the token, rotation,
 * and the verified-token cache.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import * as jose from "jose"
import { readFile } from "node:fs/promises"
import { afterEach, vi } from "vitest"
import { Authenticator } from "../../src/auth/Authenticator.ts"
import { Jwks, type KeySet } from "../../src/auth/Jwks.ts"
import { TokenAuthority } from "../../src/auth/TokenAuthority.ts"
import { makeSigningKey, type OidcProvider, oidcProvider } from "../support/oidcProvider.ts"
import {
  customersDotClaims,
  gitlabClaims,
  hs256Token,
  nowSeconds,
  unsecuredToken,
} from "../support/tokens.ts"
import { authenticatorStack, captureLogs, fastRetries } from "./harness.ts"

/** Runs `body` with an Authenticator over the given providers. */
const withAuthenticator = <A, E, R>(
  providers: ReadonlyArray<OidcProvider>,
  body: Effect.Effect<A, E, R>,
  cacheCapacity?: number,
) =>
  body.pipe(
    Effect.provide(authenticatorStack(
      { providers: providers.map((provider) => provider.url), ...fastRetries },
      captureLogs().layer,
      cacheCapacity === undefined ? {} : { cacheCapacity },
    )),
  )

const authenticate = (token: string) =>
  Effect.flatMap(Effect.service(Authenticator), (auth) => auth.authenticate(token))

/** The refusal reason, failing the test if the token is accepted. */
const refusal = (token: string) =>
  authenticate(token).pipe(
    Effect.flip,
    Effect.map((error) => error.reason),
  )

describe("Authenticator", () => {
  it.live("accepts a GitLab.com token without kid and reads its claims", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider({ keys: 2 })
      const customers = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab, customers],
        Effect.gen(function* () {
          // Signed with the second published key: every key of the issuer is tried.
          const token = yield* Effect.promise(() =>
            gitlab.sign(gitlabClaims(gitlab.issuer), { kid: false, key: gitlab.keys()[1]! })
          )
          const identity = yield* authenticate(token)
          assert.strictEqual(identity.subject, undefined)
          assert.strictEqual(identity.issuer, gitlab.issuer)
          assert.strictEqual(identity.gitlabRealm, "saas")
          assert.deepStrictEqual([...identity.scopes], ["code_suggestions"])
          assert.isFalse(identity.isDebug)
        }),
      )
    }))

  it.live("accepts a CustomersDot token with kid and an audience list", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const customers = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab, customers],
        Effect.gen(function* () {
          const token = yield* Effect.promise(() =>
            customers.sign(customersDotClaims(customers.issuer, { aud: ["other", "gitlab-ai-gateway"] }))
          )
          const identity = yield* authenticate(token)
          assert.strictEqual(identity.subject, "8f6e4253-58ce-42b9-869c-97f5c2287ad2")
          assert.strictEqual(identity.gitlabRealm, "self-managed")
          assert.deepStrictEqual([...identity.scopes].sort(), ["code_suggestions", "duo_chat"])
        }),
      )
    }))

  it.live("compares issuers without a trailing slash", () =>
    Effect.gen(function* () {
      const slashed = yield* oidcProvider({ issuer: (url) => `${url}/` })
      yield* withAuthenticator(
        [slashed],
        Effect.gen(function* () {
          const withSlash = yield* Effect.promise(() => slashed.sign(gitlabClaims(`${slashed.url}/`)))
          const without = yield* Effect.promise(() => slashed.sign(gitlabClaims(slashed.url), { kid: false }))
          assert.strictEqual((yield* authenticate(withSlash)).issuer, slashed.url)
          assert.strictEqual((yield* authenticate(without)).issuer, slashed.url)
        }),
      )
    }))

  it.live("refuses tokens whose claims break the rules", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          const now = nowSeconds()
          const sign = (overrides: Record<string, unknown>, kid = true) =>
            Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer, overrides), { kid }))
          const cases: Array<[string, Record<string, unknown>, string]> = [
            ["expired", { iat: now - 7200, nbf: now - 7200, exp: now - 120 }, "exp"],
            ["not yet valid", { nbf: now + 300 }, "nbf"],
            ["issued in the future", { iat: now + 300 }, "iat"],
            ["no exp", { exp: undefined }, "exp"],
            ["no aud", { aud: undefined }, "aud"],
            ["wrong audience", { aud: "gitlab-code-suggestions" }, "aud"],
            ["audience list without the gateway", { aud: ["a", "b"] }, "aud"],
            ["exp not a number", { exp: "tomorrow" }, "exp"],
          ]
          for (const [name, overrides, mentioned] of cases) {
            for (const kid of [true, false]) {
              const reason = yield* refusal(yield* sign(overrides, kid))
              assert.include(reason, mentioned, `${name} (kid: ${kid})`)
            }
          }
        }),
      )
    }))

  it.live("allows up to 60 s of clock skew", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          const now = nowSeconds()
          const sign = (overrides: Record<string, unknown>) =>
            Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer, overrides)))
          yield* authenticate(yield* sign({ iat: now - 3600, nbf: now - 3600, exp: now - 30 }))
          yield* authenticate(yield* sign({ iat: now + 30, nbf: now + 30 }))
          yield* refusal(yield* sign({ iat: now - 3600, nbf: now - 3600, exp: now - 90 }))
        }),
      )
    }))

  it.live("never lets one provider's key validate the other's tokens", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const customers = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab, customers],
        Effect.gen(function* () {
          // A CustomersDot issuer signed with GitLab's key, with and without kid, and the reverse.
          const forged = [
            yield* Effect.promise(() => gitlab.sign(customersDotClaims(customers.issuer))),
            yield* Effect.promise(() => gitlab.sign(customersDotClaims(customers.issuer), { kid: false })),
            yield* Effect.promise(() => customers.sign(gitlabClaims(gitlab.issuer))),
            yield* Effect.promise(() => customers.sign(gitlabClaims(gitlab.issuer), { kid: false })),
          ]
          for (const token of forged) yield* refusal(token)
          const withKid = yield* refusal(forged[0]!)
          assert.include(withKid, "does not belong to issuer")
        }),
      )
    }))

  it.live("refuses unsigned, HMAC-forged, foreign-key and malformed tokens", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          const key = gitlab.keys()[0]!
          const claims = gitlabClaims(gitlab.issuer)
          assert.include(yield* refusal(unsecuredToken(claims)), "algorithm")
          // HS256 with the public key (PEM, and the JWK JSON) as the HMAC secret.
          assert.include(
            yield* refusal(yield* Effect.promise(() => hs256Token(claims, key.publicPem))),
            "algorithm",
          )
          assert.include(
            yield* refusal(
              yield* Effect.promise(() => hs256Token(claims, JSON.stringify(key.publicJwk), key.kid)),
            ),
            "algorithm",
          )
          // A key the provider never published, claiming a published kid, or without kid.
          const stranger = yield* Effect.promise(makeSigningKey)
          const strangerWithKnownKid = yield* Effect.promise(() =>
            gitlab.sign(claims, { key: { ...stranger, kid: key.kid } })
          )
          assert.include(yield* refusal(strangerWithKnownKid), "signature")
          yield* refusal(yield* Effect.promise(() => gitlab.sign(claims, { key: stranger, kid: false })))
          for (const garbage of ["", "a.b.c", "not a token", `${unsecuredToken(claims)}x`]) {
            yield* refusal(garbage)
          }
          // A token that is not a JWT issuer at all.
          yield* refusal(
            yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer, { iss: undefined }))),
          )
        }),
      )
    }))

  it.live("accepts a token signed by a rotated key at once", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const customers = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab, customers],
        Effect.gen(function* () {
          yield* authenticate(yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer))))
          const fresh = yield* Effect.promise(() => gitlab.rotate())
          const identity = yield* authenticate(
            yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer), { key: fresh })),
          )
          assert.strictEqual(identity.issuer, gitlab.issuer)
          assert.strictEqual(gitlab.hits.jwks, 2)
        }),
      )
    }))

  it.live("asks the providers again at most once per 60 s per unknown kid, and takes a rotation at once", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          yield* (yield* Jwks).current
          const strangers = yield* Effect.forEach([1, 2, 3], () => Effect.promise(makeSigningKey))
          for (const round of [1, 2]) {
            for (const stranger of strangers) {
              yield* refusal(
                yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer), { key: stranger })),
              )
              yield* refusal(
                yield* Effect.promise(() =>
                  gitlab.sign(gitlabClaims(gitlab.issuer), { key: stranger, kid: false })
                ),
              )
            }
            // Each garbage kid once, and one kid-less refresh; the second round asks nothing.
            assert.strictEqual(gitlab.hits.jwks, 1 + 3 + 1, `round ${round}`)
          }
          // A key rotated in right after the garbage is taken at once.
          const fresh = yield* Effect.promise(() => gitlab.rotate())
          const token = yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer), { key: fresh }))
          assert.strictEqual((yield* authenticate(token)).issuer, gitlab.issuer)
        }),
      )
    }))

  it.live("accepts a kid-less token signed by a rotated key", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          yield* (yield* Jwks).current
          const fresh = yield* Effect.promise(() => gitlab.rotate())
          const token = yield* Effect.promise(() =>
            gitlab.sign(gitlabClaims(gitlab.issuer), { key: fresh, kid: false })
          )
          assert.strictEqual((yield* authenticate(token)).issuer, gitlab.issuer)
        }),
      )
    }))

  it.live("keeps accepting tokens of the last good keys during an outage after the first fetch", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          yield* (yield* Jwks).current
          gitlab.setMode("down")
          // An unknown kid triggers a refresh, which fails; the known key still works.
          const stranger = yield* Effect.promise(makeSigningKey)
          yield* refusal(
            yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer), { key: stranger })),
          )
          yield* authenticate(yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer))))
          yield* authenticate(
            yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer), { kid: false })),
          )
        }),
      )
    }))

  it.live("with a provider down before the first fetch, accepts its tokens once it is back", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const customers = yield* oidcProvider()
      customers.setMode("down")
      yield* withAuthenticator(
        [gitlab, customers],
        Effect.gen(function* () {
          yield* authenticate(yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer))))
          customers.setMode("up")
          // Its issuer is not known yet: the token asks for a refresh and is accepted.
          yield* authenticate(
            yield* Effect.promise(() => customers.sign(customersDotClaims(customers.issuer))),
          )
        }),
      )
    }))

  it.live("refuses everything, naming the providers, when no keys were ever loaded", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      gitlab.setMode("down")
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          const reason = yield* refusal(yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer))))
          assert.include(reason, "no signing keys")
          assert.include(reason, gitlab.url)
        }),
      )
    }))
})

describe("verified-token cache", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  const countVerifications = () => vi.spyOn(crypto.subtle, "verify")

  it.live("verifies a token once, then serves it from the cache", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider({ keys: 2 })
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          const token = yield* Effect.promise(() =>
            gitlab.sign(gitlabClaims(gitlab.issuer), { kid: false, key: gitlab.keys()[1]! })
          )
          const verify = countVerifications()
          const first = yield* authenticate(token)
          const afterFirst = verify.mock.calls.length
          assert.isAtLeast(afterFirst, 1)
          for (let i = 0; i < 5; i++) assert.deepStrictEqual(yield* authenticate(token), first)
          assert.strictEqual(verify.mock.calls.length, afterFirst)
        }),
      )
    }))

  it.live("holds a bounded number of tokens", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          const tokens = yield* Effect.forEach([1, 2, 3], (n) =>
            Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer, { jti: `token-${n}` }))))
          const verify = countVerifications()
          for (const token of tokens) {
            yield* authenticate(token)
          }
          assert.strictEqual(verify.mock.calls.length, 3)
          yield* authenticate(tokens[2]!)
          assert.strictEqual(verify.mock.calls.length, 3)
          // The first one was evicted by the third.
          yield* authenticate(tokens[0]!)
          assert.strictEqual(verify.mock.calls.length, 4)
        }),
        2,
      )
    }))

  it.live("stops accepting a cached token once its key is revoked", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          const old = gitlab.keys()[0]!
          const token = yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer)))
          yield* authenticate(token)
          const fresh = yield* Effect.promise(() => gitlab.rotate())
          gitlab.retire(old.kid)
          // A token of the new key makes the gateway fetch the keys again.
          yield* authenticate(
            yield* Effect.promise(() => gitlab.sign(gitlabClaims(gitlab.issuer), { key: fresh })),
          )
          yield* refusal(token)
        }),
      )
    }))

  it.effect("keeps a token no longer than its exp", () =>
    Effect.gen(function* () {
      const now = Date.now()
      yield* TestClock.setTime(now)
      const gitlab = yield* oidcProvider()
      yield* withAuthenticator(
        [gitlab],
        Effect.gen(function* () {
          const iat = Math.floor(now / 1000)
          const token = yield* Effect.promise(() =>
            gitlab.sign(gitlabClaims(gitlab.issuer, { iat, nbf: iat, exp: iat + 10 }))
          )
          const verify = countVerifications()
          yield* authenticate(token)
          yield* TestClock.adjust("5 seconds")
          yield* authenticate(token)
          assert.strictEqual(verify.mock.calls.length, 1)
          // Past exp the cache lets go; the 60 s tolerance still accepts it after a new check...
          yield* TestClock.adjust("30 seconds")
          yield* authenticate(token)
          assert.strictEqual(verify.mock.calls.length, 2)
          // ...until the tolerance is over too.
          yield* TestClock.adjust("40 seconds")
          yield* refusal(token)
        }),
      )
    }))
  it.effect("never accepts a remembered token at or past its exp", () =>
    Effect.gen(function* () {
      // Keys held from the start, so no key set is ever fetched, and no clock tolerance, so a
      // token past its exp can only be accepted by the cache.
      const issuer = "https://gitlab.test"
      const signing = yield* Effect.promise(makeSigningKey)
      const publicKey = yield* Effect.promise(() => jose.importJWK(signing.publicJwk, "RS256"))
      const keySet: KeySet = {
        keys: [{ provider: issuer, issuer, kid: signing.kid, key: publicKey as jose.CryptoKey }],
        kids: new Set([signing.kid]),
        failedProviders: [],
        generation: 1,
      }
      const heldKeys = Layer.succeed(
        Jwks,
        Jwks.of({
          providers: [issuer],
          current: Effect.succeed(keySet),
          refreshForUnknownKey: () => Effect.succeed(keySet),
        }),
      )
      const exp = 1_900_000_000
      yield* TestClock.setTime((exp - 60) * 1000)
      const token = yield* Effect.promise(() =>
        new jose.SignJWT(gitlabClaims(issuer, { iat: exp - 60, nbf: exp - 60, exp }))
          .setProtectedHeader({ alg: "RS256", kid: signing.kid })
          .sign(signing.privateKey)
      )
      yield* Effect.gen(function* () {
        const verify = countVerifications()
        const first = yield* authenticate(token)
        assert.strictEqual(verify.mock.calls.length, 1)
        yield* TestClock.setTime(exp * 1000 - 1)
        assert.deepStrictEqual(yield* authenticate(token), first)
        assert.strictEqual(verify.mock.calls.length, 1)
        yield* TestClock.setTime(exp * 1000)
        assert.match(yield* refusal(token), /exp/)
        yield* TestClock.adjust("1 hour")
        assert.match(yield* refusal(token), /exp/)
      }).pipe(
        Effect.provide(
          Authenticator.layerWith({ clockToleranceSeconds: 0 }).pipe(
            Layer.provide(heldKeys),
            Layer.provide(TokenAuthority.layerWith({ signingKey: undefined, validationKey: undefined })),
          ),
        ),
      )
    }))
})

describe("tokens shaped as GitLab sends them", () => {
  const fixture = async (name: string) => {
    const text = await readFile(new URL(`../../../shared/fixtures/${name}`, import.meta.url), "utf8")
    return JSON.parse(text) as { readonly body: Record<string, unknown> }
  }

  it.live("accepts the claims of fixtures 20 (GitLab.com, no kid) and 21 (CustomersDot)", () =>
    Effect.gen(function* () {
      const gitlab = yield* oidcProvider()
      const customers = yield* oidcProvider()
      const saas = yield* Effect.promise(() => fixture("20-jwt-saas-self-issued-token.json"))
      const selfManaged = yield* Effect.promise(() => fixture("21-jwt-self-managed-customersdot-token.json"))
      yield* withAuthenticator(
        [gitlab, customers],
        Effect.gen(function* () {
          const now = nowSeconds()
          const fresh = { iat: now, nbf: now - 5, exp: now + 3600 }
          const saasToken = yield* Effect.promise(() =>
            gitlab.sign({ ...saas.body, ...fresh, iss: gitlab.issuer }, { kid: false })
          )
          const selfManagedToken = yield* Effect.promise(() =>
            customers.sign({ ...selfManaged.body, ...fresh, jti: crypto.randomUUID(), iss: customers.issuer })
          )
          const saasIdentity = yield* authenticate(saasToken)
          assert.strictEqual(saasIdentity.gitlabRealm, "saas")
          assert.deepStrictEqual([...saasIdentity.scopes], ["code_suggestions"])
          const selfManagedIdentity = yield* authenticate(selfManagedToken)
          assert.strictEqual(selfManagedIdentity.gitlabRealm, "self-managed")
          assert.strictEqual(selfManagedIdentity.subject, selfManaged.body.sub)
        }),
      )
    }))
})
