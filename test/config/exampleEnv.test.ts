import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Result } from "effect"
import { describe, expect, it } from "vitest"
import { parse } from "dotenv"
import { parseAppConfig } from "../../src/config/AppConfig.ts"

const exampleEnv = readFileSync(join(import.meta.dirname, "..", "..", "example.env"), "utf8")
const spec = readFileSync(join(import.meta.dirname, "..", "..", "src", "config", "AppConfig.ts"), "utf8")

describe("example.env", () => {
  it("sets nothing as it stands, so a copy to .env changes no mode", () => {
    expect(parse(exampleEnv)).toEqual({})
  })

  it("is a valid configuration with every line uncommented", () => {
    const uncommented = exampleEnv.replace(/^# (?=[A-Z_]+=)/gm, "")
    expect(Object.keys(parse(uncommented)).length).toBeGreaterThan(30)
    expect(Result.isSuccess(parseAppConfig(parse(uncommented)))).toBe(true)
  })

  it("lists every variable that AppConfig reads, each after a comment", () => {
    const read = [...spec.matchAll(/"((?:AIGW_|ANTHROPIC_)[A-Z_]+)"/g)].map((match) => match[1]!)
    const lines = exampleEnv.split("\n")
    for (const variable of new Set(read)) {
      if (variable === "AIGW_USE_FAKE_MODELS" || variable === "AIGW_F__EXCL_POST_PROC") {
        expect(exampleEnv).toContain(variable)
        continue
      }
      const index = lines.findIndex((line) => line.startsWith(`# ${variable}=`))
      expect(index, variable).toBeGreaterThan(0)
      const above = lines.slice(0, index).reverse().find((line) => !/^# [A-Z_]+=/.test(line))
      expect(above, variable).toMatch(/^# .*[a-z]/)
    }
  })
})
