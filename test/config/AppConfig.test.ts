import { describe, expect, it } from "vitest"
import { Redacted, Result } from "effect"
import { parseAppConfig } from "../../src/config/AppConfig.ts"
import { mergeDotenv } from "../../src/config/dotenv.ts"

const parse = (env: Record<string, string>) => {
  const result = parseAppConfig(env)
  if (Result.isFailure(result)) throw new Error(result.failure.line)
  return result.success
}

const failure = (env: Record<string, string>) => {
  const result = parseAppConfig(env)
  if (Result.isSuccess(result)) throw new Error("expected a configuration error")
  return result.failure
}

describe("AppConfig defaults", () => {
  it("has the default of every SPEC §6 variable when the environment is empty", () => {
    const config = parse({})
    expect(config.gitlabUrl).toBe("https://gitlab.com")
    expect(config.gitlabApiUrl).toBe("https://gitlab.com/api/v4/")
    expect(config.customerPortalUrl).toBe("https://customers.gitlab.com")
    expect(config.mockModelResponses).toBe(false)
    expect(config.auth.bypassExternal).toBe(false)
    expect(config.logging).toEqual({ level: "info", formatJson: true, toFile: undefined })
    expect(config.fastapi).toEqual({
      apiHost: "0.0.0.0",
      apiPort: 5052,
      metricsHost: "0.0.0.0",
      metricsPort: 8082,
      docsUrl: undefined,
      openapiUrl: undefined,
      redocUrl: undefined,
      reload: false,
    })
    expect(config.featureFlags.excludedPostProcessing).toEqual([])
    expect(config.experiments.truncateSuffixWeights).toEqual([100, 0])
    expect(config.snowplow).toEqual({ enabled: false, endpoint: undefined, batchSize: 10, threadCount: 1 })
    expect(config.instrumentator).toEqual({
      threadMonitoringEnabled: false,
      threadMonitoringIntervalSeconds: 60,
    })
    expect(config.anthropic).toEqual({ apiKey: undefined, baseUrl: undefined })
    expect(config.vertexTextModel).toEqual({
      project: undefined,
      location: "us-central1",
      endpoint: "us-central1-aiplatform.googleapis.com",
      accessToken: undefined,
    })
    expect(config.modelEngineConcurrencyLimits).toEqual({})
    expect(config.models.catalogFile).toBeUndefined()
    expect(config.http.maxBodyBytes).toBe(8 * 1024 * 1024)
    expect(config.http.trustedProxies).toHaveLength(2)
  })
})

describe("AppConfig values", () => {
  it("reads nested `__` names, lax booleans and integers", () => {
    const config = parse({
      AIGW_FASTAPI__API_PORT: "6000",
      AIGW_FASTAPI__DOCS_URL: "/docs",
      AIGW_AUTH__BYPASS_EXTERNAL: "True",
      AIGW_LOGGING__LEVEL: "DEBUG",
      AIGW_LOGGING__FORMAT_JSON: "no",
      AIGW_SNOWPLOW__BATCH_SIZE: "3",
      AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS: '{"anthropic": {"claude-2.0": 5}}',
      AIGW_F__CODE_SUGGESTIONS__EXCL_POST_PROC: '["strip_whitespaces"]',
    })
    expect(config.fastapi.apiPort).toBe(6000)
    expect(config.fastapi.docsUrl).toBe("/docs")
    expect(config.auth.bypassExternal).toBe(true)
    expect(config.logging.level).toBe("debug")
    expect(config.logging.formatJson).toBe(false)
    expect(config.snowplow.batchSize).toBe(3)
    expect(config.modelEngineConcurrencyLimits).toEqual({ anthropic: { "claude-2.0": 5 } })
    expect(config.featureFlags.excludedPostProcessing).toEqual(["strip_whitespaces"])
  })

  it("matches names case-insensitively, as the original's settings did", () => {
    expect(parse({ aigw_fastapi__api_port: "7000" }).fastapi.apiPort).toBe(7000)
  })

  it("accepts AIGW_USE_FAKE_MODELS as an alias of AIGW_MOCK_MODEL_RESPONSES", () => {
    expect(parse({ AIGW_USE_FAKE_MODELS: "true" }).mockModelResponses).toBe(true)
    expect(parse({ AIGW_MOCK_MODEL_RESPONSES: "1" }).mockModelResponses).toBe(true)
  })

  it("accepts AIGW_F__EXCL_POST_PROC as the short name of the post-processing flag", () => {
    expect(
      parse({ AIGW_F__EXCL_POST_PROC: '["clean_model_reflection"]' }).featureFlags.excludedPostProcessing,
    )
      .toEqual(["clean_model_reflection"])
  })

  it("maps warn and critical to the levels the logger knows", () => {
    expect(parse({ AIGW_LOGGING__LEVEL: "warn" }).logging.level).toBe("warning")
    expect(parse({ AIGW_LOGGING__LEVEL: "CRITICAL" }).logging.level).toBe("error")
  })

  it("keeps secrets redacted", () => {
    const config = parse({
      ANTHROPIC_API_KEY: "sk-ant-secret",
      AIGW_VERTEX_TEXT_MODEL__ACCESS_TOKEN: "ya29.token",
    })
    expect(Redacted.value(config.anthropic.apiKey!)).toBe("sk-ant-secret")
    expect(String(config.anthropic.apiKey)).not.toContain("sk-ant-secret")
    expect(JSON.stringify(config)).not.toContain("ya29.token")
  })

  it("reads trusted proxies as CIDRs, single addresses included", () => {
    expect(parse({ AIGW_HTTP__TRUSTED_PROXIES: "10.0.0.0/8, 192.168.1.7, ::1" }).http.trustedProxies)
      .toHaveLength(3)
  })

  it("reads the worker count as a number or auto, with WEB_CONCURRENCY as its alias", () => {
    expect(parse({}).workers).toBe(1)
    expect(parse({ AIGW_WORKERS: "4" }).workers).toBe(4)
    expect(parse({ AIGW_WORKERS: "auto" }).workers).toBe("auto")
    expect(parse({ WEB_CONCURRENCY: "3" }).workers).toBe(3)
    expect(parse({ AIGW_WORKERS: "2", WEB_CONCURRENCY: "3" }).workers).toBe(2)
  })

  it("treats an empty optional value as unset", () => {
    expect(parse({ AIGW_FASTAPI__DOCS_URL: "" }).fastapi.docsUrl).toBeUndefined()
  })
})

describe("AppConfig errors", () => {
  it.each([
    ["AIGW_FASTAPI__API_PORT", "abc"],
    ["AIGW_FASTAPI__API_PORT", "70000"],
    ["AIGW_FASTAPI__METRICS_PORT", "8.5"],
    ["AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS", "{not json"],
    ["AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS", '{"anthropic": {"claude-2.0": "many"}}'],
    ["AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS", '{"anthropic": 3}'],
    ["AIGW_AUTH__BYPASS_EXTERNAL", "perhaps"],
    ["AIGW_LOGGING__LEVEL", "loud"],
    ["AIGW_HTTP__TRUSTED_PROXIES", "10.0.0.0/99"],
    ["AIGW_HTTP__MAX_BODY_BYTES", "0"],
    ["AIGW_WORKERS", "0"],
    ["AIGW_WORKERS", "many"],
    ["AIGW_FASTAPI__DOCS_URL", "docs"],
    ["AIGW_F__CODE_SUGGESTIONS__EXCL_POST_PROC", '"strip_whitespaces"'],
  ])("%s=%s fails with one line naming the variable", (variable, value) => {
    const error = failure({ [variable]: value })
    expect(error.variable).toBe(variable)
    expect(error.line).toMatch(new RegExp(`^invalid configuration: ${variable}: .+`))
    expect(error.line).not.toContain("\n")
  })

  it("reports invalid JSON as such", () => {
    expect(failure({ AIGW_MODEL_ENGINE_CONCURRENCY_LIMITS: "{" }).message).toMatch(/invalid JSON/)
  })
})

describe("mergeDotenv", () => {
  it("reads .env values and lets the real environment win", () => {
    const merged = mergeDotenv(
      { AIGW_FASTAPI__API_PORT: "6000" },
      'AIGW_FASTAPI__API_PORT=7000\nAIGW_GITLAB_URL=https://gitlab.example.com\n# comment\nQUOTED="a b"\n',
    )
    expect(merged.AIGW_FASTAPI__API_PORT).toBe("6000")
    expect(merged.AIGW_GITLAB_URL).toBe("https://gitlab.example.com")
    expect(merged.QUOTED).toBe("a b")
  })

  it("works without a .env file", () => {
    expect(mergeDotenv({ A: "1", B: undefined }, undefined)).toEqual({ A: "1" })
  })
})
