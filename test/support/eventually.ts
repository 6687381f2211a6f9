/**
 * The one wait for state that only becomes visible asynchronously and has no signal to await
 * (a log line or metric written after the response ended, a background fetch, a socket the
 * gateway closes). Races the test itself starts are decided by a signal instead: a `gate`, or a
 * fake's `received`. Built on `vi.waitFor`, bounded by a deadline.
 */
import { vi } from "vitest"

export interface EventuallyOptions {
  readonly timeoutMs?: number
  readonly intervalMs?: number
}

/**
 * Polls `check` until it returns something other than `false` without throwing, and resolves
 * to that value. At the deadline it rejects with the check's last error, so an `expect` inside
 * reports what was still wrong.
 */
export const eventually = <A>(
  check: () => A | Promise<A>,
  { timeoutMs = 5_000, intervalMs = 10 }: EventuallyOptions = {},
): Promise<Exclude<A, false>> =>
  vi.waitFor(async () => {
    const result = await check()
    if (result === false) throw new Error(`condition still false after ${timeoutMs} ms`)
    return result as Exclude<A, false>
  }, { timeout: timeoutMs, interval: intervalMs })
