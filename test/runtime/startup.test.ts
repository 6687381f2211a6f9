/**
 * The first hour of an administrator: what the start prints, and what a wrong start prints.
 * Real processes for the start paths (npm run dev's entry, a port in use, an old Node); the
 * summary and the readable log lines in-process.
 */
import { NodeFileSystem } from "@effect/platform-node"
import { spawn, spawnSync } from "node:child_process"
import { once } from "node:events"
import { copyFileSync, mkdtempSync, symlinkSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Layer, Result } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { makeRuntimeLayer } from "../../src/app.ts"
import { AppConfig, parseAppConfig } from "../../src/config/AppConfig.ts"
import { builtinCatalog } from "../../src/models/catalog.ts"
import { startupSummary } from "../../src/monitoring/StartupSummary.ts"
import { LogSink } from "../../src/observability/Logger.ts"
import { eventually } from "../support/eventually.ts"
import { npmStartFlags } from "../support/npmStart.ts"
import { freePort } from "../support/process.ts"

const root = join(import.meta.dirname, "..", "..")
const children: Array<ReturnType<typeof spawn>> = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL")
})

/** Runs `node src/start.mjs …args` (what `npm start` / `npm run dev` run) in `cwd`. */
const launch = (
  cwd: string,
  args: ReadonlyArray<string>,
  env: Record<string, string>,
  nodeArgs: Array<string> = [],
) => {
  const child = spawn(process.execPath, [...nodeArgs, join(root, "src", "start.mjs"), ...args], {
    cwd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      METADATA_SERVER_DETECTION: "none",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  })
  children.push(child)
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (chunk) => (stdout += chunk))
  child.stderr!.on("data", (chunk) => (stderr += chunk))
  const exited = once(child, "exit").then(([code]) => code as number | null)
  return { child, exited, stdout: () => stdout, stderr: () => stderr }
}

/** `launch` with `--dev` on free loopback ports, once it answers its liveness probe. */
const launchDev = async (cwd: string, env: Record<string, string>, nodeArgs: Array<string> = []) => {
  const port = await freePort()
  const gateway = launch(cwd, ["--dev"], {
    AIGW_FASTAPI__API_HOST: "127.0.0.1",
    AIGW_FASTAPI__API_PORT: String(port),
    AIGW_FASTAPI__METRICS_HOST: "127.0.0.1",
    AIGW_FASTAPI__METRICS_PORT: String(await freePort()),
    ...env,
  }, nodeArgs)
  const base = `http://127.0.0.1:${port}`
  await eventually(async () => expect((await fetch(`${base}/monitoring/healthz`)).status).toBe(200))
  return { gateway, base }
}

describe("npm run dev with a copy of example.env as .env", () => {
  it("stays development: docs on, and a completion without a token answers with mock text", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "aigw-dev-"))
    copyFileSync(join(root, "example.env"), join(cwd, ".env"))
    symlinkSync(join(root, "node_modules"), join(cwd, "node_modules"))
    const { gateway, base } = await launchDev(cwd, {})
    expect((await fetch(`${base}/docs`)).status).toBe(200)
    const completion = await fetch(`${base}/v2/code/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        current_file: {
          file_name: "app.py",
          content_above_cursor: "def add(x, y):\n    return ",
          content_below_cursor: "",
        },
      }),
    })
    expect(completion.status).toBe(200)
    const body = await completion.json() as { choices: Array<{ text: string }> }
    expect(body.choices[0]!.text.length).toBeGreaterThan(0)
    expect(gateway.stdout()).toMatch(
      /aigw development mode on http:\/\/127\.0\.0\.1:\d+: docs http:\/\/127\.0\.0\.1:\d+\/docs/,
    )
    expect(gateway.stdout()).toMatch(/completion: default model code-gecko@002 .*mocked/)
    // Readable lines leave out the absent X-Gitlab-* headers.
    await eventually(() => expect(gateway.stdout()).toMatch(/\[api\.access\] GET \/docs 200/))
    expect(gateway.stdout()).not.toContain("gitlab_realm=null")
    expect(gateway.stderr()).toBe("")
    gateway.child.kill("SIGTERM")
    expect(await gateway.exited).toBe(0)
    expect(gateway.stdout()).toMatch(/shutdown: no new connections[^\n]*\n(?:.*\n)*.*shutdown complete/)
  })
})

describe("the compile cache", () => {
  const startDev = async (env: Record<string, string>) => {
    const { gateway } = await launchDev(root, env, npmStartFlags())
    gateway.child.kill("SIGTERM")
    expect(await gateway.exited).toBe(0)
    return gateway
  }

  it("filled by the image's warm-up, leaves no module for a start to strip of its types", async () => {
    const cache = mkdtempSync(join(tmpdir(), "aigw-compile-cache-"))
    const warm = spawnSync(
      process.execPath,
      [...npmStartFlags(), join(root, "src", "warmCompileCache.mjs")],
      {
        env: { PATH: process.env.PATH ?? "", NODE_COMPILE_CACHE: cache },
        encoding: "utf8",
      },
    )
    expect(warm.stderr).toBe("")
    expect(warm.status).toBe(0)
    expect(warm.stdout).toMatch(new RegExp(`^compile cache: \\d+ modules in ${cache}/`))

    const gateway = await startDev({ NODE_COMPILE_CACHE: cache, NODE_DEBUG_NATIVE: "COMPILE_CACHE" })
    expect(gateway.stderr()).toMatch(
      /retrieving transpile cache for StrippedTypeScript [^\n]*main\.node\.ts\.\.\.success/,
    )
    expect(gateway.stderr()).not.toContain("no transpile cache")
  })

  it("a cache directory that cannot be created does not stop a start", async () => {
    const gateway = await startDev({ NODE_COMPILE_CACHE: "/dev/null/compile-cache" })
    expect(gateway.stderr()).toBe("")
  })
})

describe("start failures", () => {
  it("a port in use: one stderr line naming host and port, exit 1", async () => {
    const blocker = createServer()
    blocker.listen(0, "127.0.0.1")
    await once(blocker, "listening")
    const port = (blocker.address() as { port: number }).port
    try {
      const gateway = launch(root, [], {
        AIGW_FASTAPI__API_HOST: "127.0.0.1",
        AIGW_FASTAPI__API_PORT: String(port),
        AIGW_FASTAPI__METRICS_PORT: String(await freePort()),
        AIGW_AUTH__BYPASS_EXTERNAL: "true",
      })
      expect(await gateway.exited).toBe(1)
      expect(gateway.stderr().trim().split("\n")).toEqual([
        `cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE); change AIGW_FASTAPI__API_PORT or stop the other process`,
      ])
    } finally {
      blocker.close()
    }
  })

  it("a Node older than 24 (version stubbed): one line, exit 1", async () => {
    const stub = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.11.0"})'
    const gateway = launch(root, [], {}, ["--import", stub])
    expect(await gateway.exited).toBe(1)
    expect(gateway.stdout()).toBe("")
    expect(gateway.stderr().trim().split("\n")).toEqual([
      expect.stringMatching(/^aigw needs Node 24 or newer, this is Node 20\.11\.0: /),
    ])
  })
})

describe("start-up summary", () => {
  const events = (env: Record<string, string>, mode: "development" | "production" = "production") =>
    startupSummary(mode, Result.getOrThrow(parseAppConfig(env)), builtinCatalog)

  it("names each use case's default model, upstream id, provider and whether it is configured", () => {
    const lines = events({ ANTHROPIC_API_KEY: "sk-test", AIGW_FASTAPI__DOCS_URL: "/docs" })
    expect(lines[0]!.event).toMatch(
      /^aigw production mode on http:\/\/localhost:5052: docs http:\/\/localhost:5052\/docs, metrics http:\/\/localhost:8082\/metrics, providers configured: anthropic/,
    )
    expect(lines.map((line) => line.fields["use_case"]).filter(Boolean)).toEqual(
      expect.arrayContaining(["completion", "generation", "chat"]),
    )
    expect(lines.find((line) => line.fields["use_case"] === "chat" && line.level === "info")!.fields)
      .toMatchObject({
        model: "claude-2.0",
        upstream: "claude-sonnet-5-5",
        provider: "anthropic",
        provider_configured: true,
      })
  })

  it("warns in production about a default on an unconfigured provider, naming the variable", () => {
    const warnings = events({}).filter((line) => line.level === "warning")
    expect(warnings.map((line) => line.event)).toEqual([
      "completion requests without a model go to vertex-ai, which is not configured: set AIGW_VERTEX_TEXT_MODEL__PROJECT",
      "generation requests without a model go to vertex-ai, which is not configured: set AIGW_VERTEX_TEXT_MODEL__PROJECT",
      "chat requests without a model go to anthropic, which is not configured: set ANTHROPIC_API_KEY",
    ])
    expect(
      events({ AIGW_VERTEX_TEXT_MODEL__PROJECT: "p", ANTHROPIC_API_KEY: "k" }).some((l) =>
        l.level === "warning"
      ),
    )
      .toBe(false)
    expect(events({}, "development").some((line) => line.level === "warning")).toBe(false)
    expect(events({ AIGW_MOCK_MODEL_RESPONSES: "true" }).some((line) => line.level === "warning")).toBe(false)
  })

  it("never prints a key", () => {
    expect(JSON.stringify(events({ ANTHROPIC_API_KEY: "sk-secret-123" }))).not.toContain("sk-secret-123")
  })
})

describe("readable log lines", () => {
  it("leave out null fields", async () => {
    const lines: Array<string> = []
    const runtime = makeRuntimeLayer({
      config: AppConfig.layerTest({ AIGW_LOGGING__FORMAT_JSON: "false" }),
      fileSystem: NodeFileSystem.layer,
      logSink: LogSink.layerMemory(lines),
    })
    await Effect.runPromise(
      Effect.scoped(
        Layer.build(runtime).pipe(Effect.flatMap((context) =>
          Effect.provideContext(
            Effect.logInfo("GET / 200", { logger: "api.access", gitlab_realm: null, status_code: 200 }),
            context,
          )
        )),
      ),
    )
    expect(lines).toEqual([expect.stringMatching(/\[api\.access\] GET \/ 200 status_code=200$/)])
  })
})
