/**
 * What a rate-limit bucket belongs to: the route family of the request and the identity of its
 * sender. Claims of a verified token come before headers, so a client cannot leave its bucket
 * by changing a header its token pins.
 */
import { createHash } from "node:crypto"
import type { IdentityShape } from "../auth/Identity.ts"

export const rateLimitFamilies = ["code", "chat", "x-ray"] as const

export type RateLimitFamily = (typeof rateLimitFamilies)[number]

const familyPatterns: ReadonlyArray<readonly [RegExp, RateLimitFamily]> = [
  [/^\/v1\/chat\//, "chat"],
  [/^\/v1\/x-ray\//, "x-ray"],
  [/^\/(?:v[234]|v1\/code)\//, "code"],
]

/** The family of a served path (without `/ai`), or `undefined` for routes that are never limited. */
export const familyOfPath = (path: string): RateLimitFamily | undefined => {
  for (const [pattern, family] of familyPatterns) {
    if (pattern.test(path)) return family
  }
  return undefined
}

const present = (value: string | undefined) => value === undefined || value === "" ? undefined : value

/** Longer keys are hashed, so a client sending huge headers cannot make huge keys. */
const maxKeyLength = 256

/**
 * realm + instance id + global user id: from a self-issued token's claims (which pin all
 * three), else the `X-Gitlab-*` headers (the realm and instance id claims of other tokens still
 * win, as authentication refuses headers that contradict them), else the token's `sub`.
 */
export const bucketIdentity = (
  identity: IdentityShape,
  headers: Readonly<Record<string, string | undefined>>,
): string => {
  const realm = present(identity.gitlabRealm) ?? present(headers["x-gitlab-realm"]) ?? ""
  const instance = present(identity.gitlabInstanceId) ?? present(headers["x-gitlab-instance-id"])
  const user = identity.isSelfIssued ? present(identity.subject) : present(headers["x-gitlab-global-user-id"])
  const key = instance === undefined && user === undefined
    ? `${realm}|sub:${identity.subject ?? ""}|${identity.issuer}`
    : `${realm}|${instance ?? ""}|${user ?? ""}`
  return key.length <= maxKeyLength ? key : `sha256:${createHash("sha256").update(key).digest("base64url")}`
}
