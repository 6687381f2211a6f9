import { NodeFileSystem } from "@effect/platform-node"
import { Cause, Effect, Layer } from "effect"
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { makeRuntimeLayer } from "../../src/app.ts"
import { AppConfig } from "../../src/config/AppConfig.ts"
import { loggerName, LogSink } from "../../src/observability/Logger.ts"

const runLogging = async (env: Record<string, string>, program: Effect.Effect<void>) => {
  const lines: Array<string> = []
  const runtime = makeRuntimeLayer({
    config: AppConfig.layerTest(env),
    fileSystem: NodeFileSystem.layer,
    logSink: LogSink.layerMemory(lines),
  })
  await Effect.runPromise(Effect.scoped(
    Layer.build(runtime).pipe(
      Effect.flatMap((context) => Effect.provideContext(program, context)),
    ),
  ))
  return lines
}

describe("JSON lines", () => {
  it("carry timestamp, level, logger, event, annotations and structured fields", async () => {
    const lines = await runLogging(
      {},
      Effect.logInfo("model answered", { model_name: "code-gecko@002", tokens: 12 }).pipe(
        loggerName("codesuggestions"),
        Effect.annotateLogs("correlation_id", "corr-9"),
      ),
    )
    expect(lines).toHaveLength(1)
    const record = JSON.parse(lines[0]!)
    expect(record).toEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      level: "info",
      logger: "codesuggestions",
      event: "model answered",
      correlation_id: "corr-9",
      model_name: "code-gecko@002",
      tokens: 12,
    })
  })

  it("name levels as the original did and include the cause of errors", async () => {
    const lines = await runLogging(
      { AIGW_LOGGING__LEVEL: "debug" },
      Effect.gen(function* () {
        yield* Effect.logDebug("d")
        yield* Effect.logWarning("w")
        yield* Effect.logError("e", new Error("the cause"))
      }),
    )
    const records = lines.map((line) => JSON.parse(line))
    expect(records.map((record) => record.level)).toEqual(["debug", "warning", "error"])
    expect(lines.every((line) => !line.includes("\n"))).toBe(true)
  })

  it("drop events below the configured level", async () => {
    const lines = await runLogging(
      { AIGW_LOGGING__LEVEL: "error" },
      Effect.gen(function* () {
        yield* Effect.logInfo("i")
        yield* Effect.logWarning("w")
        yield* Effect.logError("e")
      }),
    )
    expect(lines.map((line) => JSON.parse(line).event)).toEqual(["e"])
  })
})

describe("plain text", () => {
  it("is used when AIGW_LOGGING__FORMAT_JSON=false", async () => {
    const lines = await runLogging(
      { AIGW_LOGGING__FORMAT_JSON: "false" },
      Effect.logInfo("started", { port: 5052 }).pipe(loggerName("aigw")),
    )
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+ INFO +\[aigw\] started port=5052$/)
  })

  it("escapes control characters from a request, so no line can be forged", async () => {
    const forged = "\n2026-01-01T00:00:00.000Z INFO     [api.access] forged status_code=200"
    const lines = await runLogging(
      { AIGW_LOGGING__FORMAT_JSON: "false" },
      Effect.gen(function* () {
        yield* Effect.logWarning(`token refused: unknown key k${forged}`, { kid: `k${forged}\r\u2028\u0007` })
        yield* Effect.logError("failed", Cause.fail(new Error(`bad${forged}`)))
        yield* Effect.logError("failed").pipe(Effect.annotateLogs("kid", `k${forged}`))
      }).pipe(loggerName("auth")),
    )
    expect(lines).toHaveLength(3)
    expect(lines[1]).toContain("\n    ")
    const text = lines.join("\n")
    for (const line of text.split("\n")) {
      // Every line is a log line of its own, or an indented stack line.
      expect(line).toMatch(/^(\d{4}-\d\d-\d\dT\S+ (WARNING|ERROR) +\[auth\] | {4})/)
      expect(line).not.toMatch(/^2026-01-01/)
    }
    expect(lines[0]).toContain("unknown key k\\n2026-01-01T00:00:00.000Z INFO")
    expect(lines[0]).toContain("\\r\\u2028\\u0007")
  })
})

describe("log file", () => {
  it("receives the same lines when AIGW_LOGGING__TO_FILE is set, flushed at shutdown", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "aigw-log-")), "aigw.log")
    const lines = await runLogging(
      { AIGW_LOGGING__TO_FILE: file },
      Effect.gen(function* () {
        yield* Effect.logInfo("one")
        yield* Effect.logInfo("two")
      }),
    )
    const written = readFileSync(file, "utf8").trim().split("\n")
    expect(written).toEqual(lines)
    expect(written.map((line) => JSON.parse(line).event)).toEqual(["one", "two"])
  })

  it("appends to an existing file", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "aigw-log-")), "aigw.log")
    await runLogging({ AIGW_LOGGING__TO_FILE: file }, Effect.logInfo("first run"))
    await runLogging({ AIGW_LOGGING__TO_FILE: file }, Effect.logInfo("second run"))
    const events = readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line).event)
    expect(events).toEqual(["first run", "second run"])
  })
})
