/**
 * The benchmark's world: a local OIDC provider signing RS256 tokens (in this process; aigw reads
 * its keys once), the fake upstream and the bare proxy as their own processes, and aigw in
 * production mode with auth on, all on 127.0.0.1. The request bodies of every scenario.
 */
import { startOidcProvider } from "../test/support/oidcProvider.ts"
import { authHeaders, gitlabClaims } from "../test/support/tokens.ts"
import type { LoadTarget } from "./load.ts"
import { type Child, startAigw, startScript } from "./processes.ts"

export interface Pinning {
  /** Cores for the process under test (aigw, the bare proxy), e.g. "0". */
  readonly server?: string
  /** Cores for the fake upstream. */
  readonly upstream?: string
}

export interface WorldOptions extends Pinning {
  /** Flags for aigw's Node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
  readonly nodeArgs?: ReadonlyArray<string>
}

export interface World {
  readonly upstream: Child
  readonly proxy: Child
  readonly aigw: Child
  readonly targets: Targets
  /**
   * Starts another aigw, configured as `aigw` but with `AIGW_WORKERS=workers` (its own ports, no
   * node args), and its chat and completion targets; stopped by `stop()` or at `close`.
   */
  readonly startCluster: (workers: number) => Promise<Cluster>
  readonly close: () => Promise<void>
}

export interface Cluster {
  /** The primary: its workers are its children. */
  readonly primary: Child
  readonly targets: Pick<Targets, "chat" | "completions">
  readonly stop: () => Promise<void>
}

export interface Targets {
  /** (a) an Anthropic Messages call straight to the fake upstream. */
  readonly direct: LoadTarget
  /** (b) the same call through the bare proxy. */
  readonly proxy: LoadTarget
  /** (c) aigw /v1/chat/agent with claude-2.1 (→ /v1/messages, the current Claude model). */
  readonly chat: LoadTarget
  /** (d) aigw /v2/code/completions (code-gecko@002 → Codestral on Vertex), by file size in KB. */
  readonly completions: (kb: number) => LoadTarget
  /** (e) baseline: a streamed Messages call through the bare proxy. */
  readonly proxyStream: LoadTarget
  /** (e) aigw /v2/code/generations streamed from Anthropic. */
  readonly generationStream: LoadTarget
}

/** The body aigw itself sends to /v1/messages for the chat scenario, near enough. */
const anthropicMessages = (stream: boolean) =>
  JSON.stringify({
    model: "claude-sonnet-5-5",
    messages: [{ role: "user", content: "Hi, how are you?" }],
    max_tokens: 2048,
    stop_sequences: ["Observation:"],
    stream,
  })

const chatBody = JSON.stringify({
  prompt_components: [{
    type: "prompt",
    metadata: { source: "GitLab EE", version: "17.0.0" },
    payload: {
      content: "\n\nHuman: Hi, how are you?\n\nAssistant:",
      provider: "anthropic",
      model: "claude-2.1",
      params: { stop_sequences: ["Observation:"], temperature: 0.1 },
    },
  }],
  stream: false,
})

const generationBody = JSON.stringify({
  prompt_version: 2,
  project_path: "group/project",
  project_id: -1,
  current_file: {
    file_name: "src/main.py",
    content_above_cursor: "# generate a function that reverses a string\n",
    content_below_cursor: "",
  },
  intent: "generation",
  stream: true,
  choices_count: 1,
  model_provider: "anthropic",
  prompt:
    "\n\nHuman: Write a function that reverses a string. Answer in <new_code> tags.\n\nAssistant: <new_code>",
  model_name: "claude-2.1",
})

const pythonFunction = (i: number) =>
  `def batch_${i}(items, limit=${i}):
    """Return the items of batch ${i} below the limit, scaled."""
    result = []
    for item in items:
        if item < limit:
            result.append(item * ${i % 7 + 2})
    return result


`

/**
 * A Python file of about `kb` KB, the cursor four fifths of the way down inside a function the
 * model completes: the full pre-processing (tokens, truncation, tree-sitter) and post-processing.
 */
export const pythonFile = (kb: number) => {
  const head = "import os\nimport sys\nfrom collections import defaultdict\n\n\n"
  const cursorLine = "def add(x, y):\n    return "
  let above = head
  let below = "\n\n\n"
  let i = 0
  while (above.length < kb * 1024 * 0.8) above += pythonFunction(i++)
  while (above.length + below.length + cursorLine.length < kb * 1024) below += pythonFunction(i++)
  return { above: above + cursorLine, below }
}

const completionBody = (kb: number) => {
  const { above, below } = pythonFile(kb)
  return JSON.stringify({
    project_path: "group/project",
    project_id: 33,
    current_file: { file_name: "app.py", content_above_cursor: above, content_below_cursor: below },
    telemetry: [],
  })
}

/** The API answers once one worker listens: wait for all of them (the primary's `aigw_workers`). */
const untilWorkersServe = async (primary: Child, workers: number) => {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const text = await fetch(primary.metricsUrl!).then((response) => response.text(), () => "")
    if (new RegExp(`^aigw_workers ${workers}$`, "m").test(text)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`aigw: ${workers} workers did not all serve within 30 s:\n${primary.stderr()}`)
}

export const startWorld = async (pinning: WorldOptions = {}): Promise<World> => {
  const oidc = await startOidcProvider()
  const started: Array<Child> = []
  try {
    const upstream = await startScript("upstream", "upstream.ts", {}, pinning.upstream)
    started.push(upstream)
    const proxy = await startScript("proxy", "proxy.ts", { BENCH_UPSTREAM: upstream.url }, pinning.server)
    started.push(proxy)
    const aigwEnv = {
      AIGW_AUTH__BYPASS_EXTERNAL: "false",
      AIGW_GITLAB_URL: oidc.url,
      AIGW_CUSTOMER_PORTAL_URL: "",
      ANTHROPIC_API_KEY: "sk-ant-bench",
      AIGW_ANTHROPIC__BASE_URL: upstream.url,
      AIGW_VERTEX_TEXT_MODEL__PROJECT: "bench-project",
      AIGW_VERTEX_TEXT_MODEL__ENDPOINT: upstream.url,
      AIGW_VERTEX_TEXT_MODEL__ACCESS_TOKEN: "ya29.bench",
      AIGW_LOGGING__LEVEL: "INFO",
    }
    const aigw = await startAigw(aigwEnv, pinning.server, pinning.nodeArgs)
    started.push(aigw)

    const token = await oidc.sign(
      gitlabClaims(oidc.issuer, {
        scopes: ["code_suggestions", "duo_chat"],
        exp: Math.floor(Date.now() / 1000) + 86_400,
      }),
      { kid: false },
    )
    const gitlab = {
      ...authHeaders(token),
      "content-type": "application/json",
      "user-agent": "aigw-bench",
      "x-gitlab-instance-id": "bench-instance",
      "x-gitlab-global-user-id": "bench-user",
      "x-gitlab-host-name": "gitlab.example.com",
      "x-gitlab-realm": "saas",
    }
    const json = { "content-type": "application/json" }
    const completionBodies = new Map<number, string>()
    const completionsAt = (url: string) => (kb: number): LoadTarget => {
      if (!completionBodies.has(kb)) completionBodies.set(kb, completionBody(kb))
      return { url: `${url}/v2/code/completions`, headers: gitlab, body: completionBodies.get(kb)! }
    }
    const chatAt = (url: string): LoadTarget => ({
      url: `${url}/v1/chat/agent`,
      headers: gitlab,
      body: chatBody,
    })
    const targets: Targets = {
      direct: { url: `${upstream.url}/v1/messages`, headers: json, body: anthropicMessages(false) },
      proxy: { url: `${proxy.url}/v1/messages`, headers: json, body: anthropicMessages(false) },
      chat: chatAt(aigw.url),
      completions: completionsAt(aigw.url),
      proxyStream: { url: `${proxy.url}/v1/messages`, headers: json, body: anthropicMessages(true) },
      generationStream: { url: `${aigw.url}/v2/code/generations`, headers: gitlab, body: generationBody },
    }
    return {
      upstream,
      proxy,
      aigw,
      targets,
      startCluster: async (workers) => {
        const primary = await startAigw({ ...aigwEnv, AIGW_WORKERS: String(workers) }, pinning.server)
        started.push(primary)
        await untilWorkersServe(primary, workers)
        return {
          primary,
          targets: { chat: chatAt(primary.url), completions: completionsAt(primary.url) },
          stop: async () => {
            started.splice(started.indexOf(primary), 1)
            await primary.stop()
          },
        }
      },
      close: async () => {
        await Promise.all(started.map((child) => child.stop()))
        await oidc.close()
      },
    }
  } catch (error) {
    await Promise.all(started.map((child) => child.stop()))
    await oidc.close()
    throw error
  }
}
