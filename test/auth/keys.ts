/**
 * RSA keys for the direct-access tests, PEM-encoded as an administrator puts them in the
 * configuration. Made with the async `generateKeyPair` (the sync one has deadlocked test
 * harnesses on this machine).
 */
import { generateKeyPair } from "node:crypto"
import { promisify } from "node:util"

export interface PemKeyPair {
  /** PKCS#8, `-----BEGIN PRIVATE KEY-----` (what `openssl genrsa` writes on OpenSSL 3). */
  readonly privatePem: string
  /** SPKI, `-----BEGIN PUBLIC KEY-----`. */
  readonly publicPem: string
}

const generate = promisify(generateKeyPair)

export const makeRsaKeyPair = async (
  modulusLength = 2048,
  privateFormat: "pkcs8" | "pkcs1" = "pkcs8",
): Promise<PemKeyPair> => {
  const { privateKey, publicKey } = await generate("rsa", {
    modulusLength,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: privateFormat, format: "pem" },
  })
  return { privatePem: privateKey, publicPem: publicKey }
}

/** The base64 body of a PEM, line by line: what must never appear in a log. */
export const pemBodyLines = (pem: string): Array<string> =>
  pem.split("\n").filter((line) => line !== "" && !line.startsWith("-----"))
