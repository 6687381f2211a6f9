/**
 * The direct-access keys as an administrator configures them: the forms `openssl` writes are
 * accepted, and anything else stops the start with one line naming the variable that never
 * quotes the key.
 */
import { generateKeyPair } from "node:crypto"
import { promisify } from "node:util"
import { parse } from "dotenv"
import { Redacted, Result } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { parseAppConfig } from "../../src/config/AppConfig.ts"
import { makeRsaKeyPair, pemBodyLines, type PemKeyPair } from "./keys.ts"

const signing = "AIGW_SELF_SIGNED_JWT__SIGNING_KEY"
const validation = "AIGW_SELF_SIGNED_JWT__VALIDATION_KEY"

const failureLine = (env: Record<string, string>): string => {
  const parsed = parseAppConfig(env)
  if (Result.isSuccess(parsed)) throw new Error("expected the configuration to be refused")
  return parsed.failure.line
}

let pkcs8: PemKeyPair
let pkcs1: PemKeyPair
beforeAll(async () => {
  ;[pkcs8, pkcs1] = await Promise.all([makeRsaKeyPair(), makeRsaKeyPair(2048, "pkcs1")])
})

describe("AIGW_SELF_SIGNED_JWT__* keys", () => {
  it("are off by default and an empty value means unset", () => {
    const config = Result.getOrThrow(parseAppConfig({ [signing]: "", [validation]: "  " }))
    expect(config.selfSignedJwt).toEqual({ signingKey: undefined, validationKey: undefined })
    expect(Result.getOrThrow(parseAppConfig({})).auth.bypassExternalWithHeader).toBe(false)
  })

  it("accept PKCS#8 and PKCS#1 private keys, kept redacted", () => {
    for (const pem of [pkcs8.privatePem, pkcs1.privatePem]) {
      const config = Result.getOrThrow(parseAppConfig({ [signing]: pem, [validation]: pem }))
      expect(Redacted.value(config.selfSignedJwt.signingKey!)).toBe(pem)
      expect(String(config.selfSignedJwt.signingKey)).not.toContain(pemBodyLines(pem)[0])
    }
  })

  it("accept a key on one line with \\n, as written in an env file", () => {
    const oneLine = pkcs8.privatePem.trim().replaceAll("\n", "\\n")
    expect(Result.isSuccess(parseAppConfig({ [signing]: oneLine }))).toBe(true)
    const fromDotenv = parse(`${signing}="${oneLine}"\n`)
    expect(Result.isSuccess(parseAppConfig(fromDotenv))).toBe(true)
  })

  it("take a public key as the validation key, but not as the signing key", () => {
    expect(Result.isSuccess(parseAppConfig({ [validation]: pkcs8.publicPem }))).toBe(true)
    expect(failureLine({ [signing]: pkcs8.publicPem })).toBe(
      `invalid configuration: ${signing}: expected a PEM RSA private key (e.g. from \`openssl genrsa 2048\`)`,
    )
  })

  it("refuse a damaged key without quoting it", () => {
    const lines = pkcs8.privatePem.trim().split("\n")
    const damaged = [
      lines[0],
      ...lines.slice(1, -1).map((line) => line.split("").reverse().join("")),
      lines.at(-1),
    ]
      .join("\n")
    for (const variable of [signing, validation]) {
      const line = failureLine({ [variable]: damaged })
      expect(line).toMatch(new RegExp(`^invalid configuration: ${variable}: expected a PEM RSA private key`))
      for (const body of pemBodyLines(damaged)) expect(line).not.toContain(body)
    }
  })

  it("refuse keys RS256 cannot use: under 2048 bits, or not RSA", async () => {
    const small = await makeRsaKeyPair(1024)
    expect(failureLine({ [signing]: small.privatePem })).toBe(
      `invalid configuration: ${signing}: the RSA key has 1024 bits; RS256 needs at least 2048`,
    )
    const { privateKey } = await promisify(generateKeyPair)("ec", {
      namedCurve: "P-256",
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    })
    expect(failureLine({ [signing]: privateKey })).toBe(
      `invalid configuration: ${signing}: expected an RSA key (got ec)`,
    )
  })
})
