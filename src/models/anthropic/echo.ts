/**
 * A model asked to continue a text (instead of being prefilled with it) sometimes starts its
 * answer by repeating that text. The repeat is dropped, from a whole answer or from the first
 * chunks of a stream, so callers see the continuation a prefill would have produced.
 */
import * as Stream from "effect/Stream"

/** The answer without a leading repeat of `echo` (leading whitespace before it ignored). */
export const withoutEcho = (text: string, echo: string): string => {
  if (echo === "") return text
  const start = text.length - text.trimStart().length
  return text.startsWith(echo, start) ? text.slice(start + echo.length) : text
}

type EchoState = { readonly done: boolean; readonly held: string }

/**
 * The stream without a leading repeat of `echo`: chunks are held only while they could still
 * be the start of the repeat, then released (minus the repeat) at the first chunk that settles it.
 */
export const streamWithoutEcho = <E, R>(
  chunks: Stream.Stream<string, E, R>,
  echo: string,
): Stream.Stream<string, E, R> => {
  if (echo === "") return chunks
  const release = (text: string): ReadonlyArray<string> => text === "" ? [] : [text]
  return chunks.pipe(
    Stream.mapAccum(
      (): EchoState => ({ done: false, held: "" }),
      (state, chunk): readonly [EchoState, ReadonlyArray<string>] => {
        if (state.done) return [state, [chunk]]
        const held = state.held + chunk
        const candidate = held.trimStart()
        const undecided = candidate.length < echo.length && echo.startsWith(candidate)
        if (undecided) return [{ done: false, held }, []]
        return [{ done: true, held: "" }, release(withoutEcho(held, echo))]
      },
      { onHalt: (state) => state.done ? [] : release(withoutEcho(state.held, echo)) },
    ),
  )
}
