import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { extractCodeContext } from "../../src/suggestions/codeContext.ts"
import { TreeSitter } from "../../src/suggestions/treesitter.ts"

const extract = (grammar: string, source: string) =>
  Effect.runPromise(
    TreeSitter.use((ts) => ts.parse(grammar, source, (tree) => extractCodeContext(grammar, tree, source)))
      .pipe(
        Effect.provide(TreeSitter.layer),
      ),
  )

describe("extractCodeContext", () => {
  it("python: imports and signatures, with non-ASCII text before them", async () => {
    const source = [
      "# ünïcödé 注释 🙂",
      "import os",
      "from typing import List",
      "",
      "def ünï(x: int) -> int:",
      "    return x",
      "",
      "class Greeter:",
      '    def greet(self, name: str = "wörld") -> str:',
      "        return name",
      "",
    ].join("\n")
    expect(await extract("python", source)).toEqual({
      imports: ["import os", "from typing import List"],
      functionSignatures: ["def ünï(x: int) -> int", 'def greet(self, name: str = "wörld") -> str'],
    })
  })

  it("javascript", async () => {
    const source =
      "import fs from 'fs'\nimport { a } from './a.js'\nfunction add(x, y) {\n  return x + y\n}\nclass A { run(n) { return n } }\n"
    expect(await extract("javascript", source)).toEqual({
      imports: ["import fs from 'fs'", "import { a } from './a.js'"],
      functionSignatures: ["function add(x, y)", "run(n)"],
    })
  })

  it("go", async () => {
    const source =
      'package main\n\nimport (\n\t"fmt"\n)\n\nfunc (s *Server) Start(port int) error {\n\treturn nil\n}\n'
    expect(await extract("go", source)).toEqual({
      imports: ['import (\n\t"fmt"\n)'],
      functionSignatures: ["func (s *Server) Start(port int) error"],
    })
  })

  it("java", async () => {
    const source =
      "import java.util.List;\nclass A {\n  public int size(List<String> xs) { return xs.size(); }\n}\n"
    expect(await extract("java", source)).toEqual({
      imports: ["import java.util.List;"],
      functionSignatures: ["public int size(List<String> xs)"],
    })
  })

  it("ruby: require calls are imports", async () => {
    const source = "require 'json'\nrequire_relative 'lib/x'\n\ndef parse(text)\n  JSON.parse(text)\nend\n"
    expect(await extract("ruby", source)).toEqual({
      imports: ["require 'json'", "require_relative 'lib/x'"],
      functionSignatures: ["def parse(text)"],
    })
  })

  it("returns nothing for a grammar it does not know", async () => {
    expect(await extract("css", "a { color: red }")).toEqual({ imports: [], functionSignatures: [] })
  })

  it("walks a large file whole (no node cap)", async () => {
    const source = Array.from({ length: 1_500 }, (_, index) => `def f${index}(x):\n    return x\n`).join("")
    const { functionSignatures } = (await extract("python", source))!
    expect(functionSignatures).toHaveLength(1_500)
    expect(functionSignatures.at(-1)).toBe("def f1499(x)")
  })
})
