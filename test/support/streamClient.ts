/**
 * A client of the gateway's streamed generations on their own connections, for the real-process
 * tests of draining (shutdown, workers): the first chunk and the whole body, which rejects when the
 * response was cut.
 */
import { request } from "node:http"

/** A streamed Anthropic string-prompt generation. */
export const streamedGeneration = JSON.stringify({
  prompt_version: 2,
  current_file: {
    file_name: "main.py",
    content_above_cursor: "# reverse a string\n",
    content_below_cursor: "",
  },
  model_provider: "anthropic",
  model_name: "claude-2.1",
  prompt: "\n\nHuman: reverse a string\n\nAssistant: <new_code>",
  stream: true,
})

export interface OpenStream {
  /** Resolves with the first chunk. */
  readonly first: Promise<string>
  /** Resolves with the whole body once the response ended cleanly; rejects if it was cut. */
  readonly whole: Promise<string>
}

/** A streamed generation on its own connection. */
export const openStream = (baseUrl: string): OpenStream => {
  let resolveFirst: (chunk: string) => void = () => {}
  let rejectFirst: (error: unknown) => void = () => {}
  const first = new Promise<string>((resolve, reject) => {
    resolveFirst = resolve
    rejectFirst = reject
  })
  const whole = new Promise<string>((resolve, reject) => {
    const outgoing = request(`${baseUrl}/v2/code/generations`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json" },
    }, (response) => {
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => {
        if (body === "") resolveFirst(chunk)
        body += chunk
      })
      response.on("end", () => (response.complete ? resolve(body) : reject(new Error(`cut: ${body}`))))
      response.on("aborted", () => reject(new Error(`aborted: ${body}`)))
      response.on("error", reject)
    })
    outgoing.on("error", (error) => {
      rejectFirst(error)
      reject(error)
    })
    outgoing.end(streamedGeneration)
  })
  whole.catch(() => {})
  return { first, whole }
}
