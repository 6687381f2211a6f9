/**
 * The verified-token cache: what a token's verification established, by the token string
 * itself, until the token's `exp` and never past it, for at most `capacity` tokens (the least
 * recently used leaves first).
 *
 * Keyed by the string rather than a digest of it: only tokens that verified are kept, so their
 * size is what the providers issue (about a kilobyte), and a map lookup costs less than hashing
 * the token per request, which WebCrypto can only do asynchronously. The time is given by the
 * caller (Effect's Clock), so tests decide it.
 */
export interface VerifiedTokens<A> {
  /** The token's entry, unless there is none or `nowMillis` is at or past its expiry. */
  readonly get: (token: string, nowMillis: number) => A | undefined
  /** Keeps `value` until `expiresAtMillis`; nothing when that is not in the future. */
  readonly set: (token: string, value: A, expiresAtMillis: number, nowMillis: number) => void
  readonly delete: (token: string) => void
}

interface Entry<A> {
  readonly value: A
  readonly expiresAtMillis: number
}

export const makeVerifiedTokens = <A>(capacity: number): VerifiedTokens<A> => {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const entries = new Map<string, Entry<A>>()
  return {
    get: (token, nowMillis) => {
      const entry = entries.get(token)
      if (entry === undefined) return undefined
      entries.delete(token)
      if (nowMillis >= entry.expiresAtMillis) return undefined
      entries.set(token, entry)
      return entry.value
    },
    set: (token, value, expiresAtMillis, nowMillis) => {
      if (capacity <= 0 || nowMillis >= expiresAtMillis) return
      entries.delete(token)
      if (entries.size >= capacity) {
        const oldest = entries.keys().next()
        if (oldest.done !== true) entries.delete(oldest.value)
      }
      entries.set(token, { value, expiresAtMillis })
    },
    delete: (token) => {
      entries.delete(token)
    },
  }
}
