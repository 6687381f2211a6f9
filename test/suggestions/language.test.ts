import { describe, expect, it } from "vitest"
import { detectLanguage, extensionOf, languages } from "../../src/suggestions/language.ts"

const lang = (fileName: string, editorId?: string) => detectLanguage(fileName, editorId)?.id ?? ""

describe("the original's 13 languages, by extension", () => {
  it.each([
    ["main.c", "c"],
    ["main.h", "c"],
    ["a.cpp", "cpp"],
    ["a.hpp", "cpp"],
    ["a.c++", "cpp"],
    ["a.h++", "cpp"],
    ["a.cc", "cpp"],
    ["a.hh", "cpp"],
    ["a.C", "cpp"],
    ["a.H", "cpp"],
    ["Program.cs", "csharp"],
    ["main.go", "go"],
    ["Main.java", "java"],
    ["app.js", "js"],
    ["App.jsx", "js"],
    ["index.php", "php"],
    ["a.php3", "php"],
    ["a.php4", "php"],
    ["a.php5", "php"],
    ["a.phps", "php"],
    ["a.phpt", "php"],
    ["test.py", "python"],
    ["app.rb", "ruby"],
    ["lib.rs", "rust"],
    ["App.scala", "scala"],
    ["app.ts", "ts"],
    ["App.tsx", "ts"],
    ["Main.kt", "kotlin"],
    ["build.gradle.kts", "kotlin"],
  ])("%s → %s", (fileName, expected) => {
    expect(lang(fileName)).toBe(expected)
  })
})

describe("beyond the original", () => {
  it.each([
    ["stubs.pyi", "python"],
    ["module.mjs", "js"],
    ["module.cjs", "js"],
    ["module.mts", "ts"],
    ["module.cts", "ts"],
    ["App.swift", "swift"],
    ["run.sh", "shell"],
    ["schema.sql", "sql"],
    ["init.lua", "lua"],
    ["main.dart", "dart"],
    ["app.ex", "elixir"],
    ["Main.hs", "haskell"],
    ["analysis.R", "r"],
    ["script.pl", "perl"],
    ["View.m", "objective-c"],
    ["main.tf", "terraform"],
    [".gitlab-ci.yml", "yaml"],
  ])("%s → %s", (fileName, expected) => {
    expect(lang(fileName)).toBe(expected)
  })
})

describe("editor language id", () => {
  it("is used only when the extension is unknown", () => {
    expect(lang("Dockerfile", "python")).toBe("python")
    expect(lang("script", "javascriptreact")).toBe("js")
    expect(lang("component", "typescriptreact")).toBe("ts")
    expect(lang("main.py", "ruby")).toBe("python")
  })

  it("matches exactly on the extension, case-sensitively", () => {
    expect(lang("main.PY")).toBe("")
    expect(lang("main.PY", "python")).toBe("python")
    expect(lang("a.c")).toBe("c")
    expect(lang("a.C")).toBe("cpp")
  })

  it("gives no language when neither is known", () => {
    expect(lang("README")).toBe("")
    expect(lang("notes.txt", "plaintext")).toBe("")
    expect(detectLanguage("notes.txt")).toBeUndefined()
  })
})

describe("extensionOf", () => {
  it.each([
    ["src/app/main.py", "py"],
    ["C:\\\\code\\\\main.go", "go"],
    [".bashrc", ""],
    ["archive.tar.gz", "gz"],
    ["Makefile", ""],
    ["dir.v2/file", ""],
  ])("%s → %j", (fileName, expected) => {
    expect(extensionOf(fileName)).toBe(expected)
  })
})

describe("the language table", () => {
  it("gives every language a comment syntax and a unique id", () => {
    for (const language of languages) {
      expect(language.comments.line ?? language.comments.block, language.id).toBeDefined()
    }
    expect(new Set(languages.map((language) => language.id)).size).toBe(languages.length)
  })

  it("keeps ids short and lower case", () => {
    for (const language of languages) expect(language.id).toMatch(/^[a-z-]+$/)
  })
})
