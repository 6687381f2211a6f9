/**
 * The deploy/ files as their own tools read them (Debian's packages, installed by `.ci/run`):
 * `docker-compose config` accepts the compose file and yields an aigw environment that aigw
 * accepts, and `haproxy -c` accepts the load balancer's configuration.
 */
import { execFileSync } from "node:child_process"
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Result } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { parse as parseYaml } from "yaml"
import { parseAppConfig } from "../../src/config/AppConfig.ts"

const root = join(import.meta.dirname, "..", "..")
// A copy, so the env file the compose file reads (`../.env`) is made without touching the clone.
const sandbox = mkdtempSync(join(tmpdir(), "aigw-deploy-"))
afterAll(() => rmSync(sandbox, { recursive: true, force: true }))

describe("deploy/ checked by its tools", () => {
  it("docker-compose config accepts the compose file, and aigw its environment", () => {
    cpSync(join(root, "deploy"), join(sandbox, "deploy"), { recursive: true })
    writeFileSync(join(sandbox, ".env"), readFileSync(join(root, "example.env")))
    const output = execFileSync("docker-compose", [
      "-f",
      join(sandbox, "deploy", "docker-compose.yaml"),
      "config",
    ], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", AIGW_REPLICAS: "4" },
    })
    const resolved = parseYaml(output) as {
      services: Record<string, { deploy?: { replicas?: number }; environment?: Record<string, string> }>
    }
    expect(resolved.services.aigw?.deploy?.replicas).toBe(4)
    const parsed = parseAppConfig(resolved.services.aigw?.environment ?? {})
    expect(Result.isSuccess(parsed), Result.isFailure(parsed) ? parsed.failure.line : "").toBe(true)
    if (Result.isSuccess(parsed)) {
      expect(parsed.success.fastapi.apiPort).toBe(5052)
      expect(parsed.success.rateLimit.redisUrl).toBeDefined()
    }
  })

  it("haproxy -c accepts the load balancer's configuration", () => {
    const output = execFileSync("haproxy", ["-c", "-f", join(root, "deploy", "haproxy.cfg")], {
      encoding: "utf8",
    })
    expect(output).toContain("Configuration file is valid")
  })
})
