/**
 * The PEM keys of direct access (`AIGW_SELF_SIGNED_JWT__SIGNING_KEY`, `__VALIDATION_KEY`), read
 * with node:crypto so PKCS#1 (`BEGIN RSA PRIVATE KEY`, older `openssl genrsa`), PKCS#8
 * (`BEGIN PRIVATE KEY`) and, for the validation key, SPKI (`BEGIN PUBLIC KEY`) all work. The
 * configuration checks them at start with `keyProblem`, whose messages never quote the key.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto"

/** Literal `\n` sequences (a key pasted on one line in an env file) become newlines. */
const normalizePem = (pem: string): string => pem.trim().replace(/\\n/g, "\n")

export type KeyRole = "signing" | "validation"

export const parseKey = (pem: string, role: KeyRole): KeyObject => {
  const text = normalizePem(pem)
  if (role === "validation" && text.includes("PUBLIC KEY-----")) return createPublicKey(text)
  return createPrivateKey(text)
}

/**
 * Why a configured key cannot be used, or `undefined` when it can. The message never quotes the
 * key. `signing` needs an RSA private key; `validation` also takes a public key.
 */
export const keyProblem = (pem: string, role: KeyRole): string | undefined => {
  let key: KeyObject
  try {
    key = parseKey(pem, role)
  } catch {
    return role === "signing"
      ? "expected a PEM RSA private key (e.g. from `openssl genrsa 2048`)"
      : "expected a PEM RSA private key (the previous signing key) or its PEM public key"
  }
  if (key.asymmetricKeyType !== "rsa") return `expected an RSA key (got ${key.asymmetricKeyType})`
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < 2048) return `the RSA key has ${bits} bits; RS256 needs at least 2048`
  return undefined
}
