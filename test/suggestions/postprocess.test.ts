/**
 * The post-processing ops of SPEC §3.6, each by a table of cases in several languages, with the
 * real tree-sitter grammars.
 */
import { Effect } from "effect"
import { beforeAll, describe, expect, it } from "vitest"
import { detectLanguage } from "../../src/suggestions/language.ts"
import { cleanModelReflection } from "../../src/suggestions/postprocess/cleanModelReflection.ts"
import { fixEndBlockErrors } from "../../src/suggestions/postprocess/fixEndBlockErrors.ts"
import {
  prependNewline,
  stripCodeFence,
  stripNewCodeTags,
} from "../../src/suggestions/postprocess/generation.ts"
import type { Op } from "../../src/suggestions/postprocess/op.ts"
import { removeCommentOnlyCompletion } from "../../src/suggestions/postprocess/removeCommentOnlyCompletion.ts"
import { stripWhitespaces } from "../../src/suggestions/postprocess/stripWhitespaces.ts"
import { trimByMinAllowedContext } from "../../src/suggestions/postprocess/trimByMinAllowedContext.ts"
import { type SyncParse, TreeSitter } from "../../src/suggestions/treesitter.ts"

const parsers = new Map<string, SyncParse | undefined>()
beforeAll(async () => {
  await Effect.runPromise(
    Effect.gen(function* () {
      const treeSitter = yield* TreeSitter
      for (
        const grammar of ["python", "javascript", "go", "java", "ruby", "php", "typescript", "tsx", "rust"]
      ) {
        parsers.set(grammar, yield* treeSitter.parser(grammar))
      }
    }).pipe(Effect.provide(TreeSitter.layer)),
  )
})

const run = (op: Op, fileName: string, prefix: string, completion: string, suffix = "") => {
  const language = detectLanguage(fileName)
  return op({ prefix, suffix, completion, language, parse: parsers.get(language?.grammar ?? "") })
}

describe("remove_comment_only_completion", () => {
  it.each([
    ["a.py", "# a\n# b", ""],
    ["a.py", "# doc\ndef f(): ...", "# doc\ndef f(): ..."],
    ["a.py", "x = 1  # set x", "x = 1  # set x"],
    ["a.js", "// one\n/* two */", ""],
    ["a.js", "// one\nconst x = 1", "// one\nconst x = 1"],
    ["a.go", "// Package main does things", ""],
    ["a.java", "/** Javadoc */\n// more", ""],
    ["a.java", "// note\nint x = 1;", "// note\nint x = 1;"],
    ["a.rb", "# frozen_string_literal: true", ""],
    ["a.rb", "# loop\nputs 1", "# loop\nputs 1"],
    ["a.php", "// a PHP comment\n# another", ""],
    ["a.php", "// note\n$x = 1;", "// note\n$x = 1;"],
    ["a.rs", "/// docs\n// more", ""],
  ])("%s %j → %j", (fileName, completion, expected) => {
    expect(run(removeCommentOnlyCompletion, fileName, "", completion)).toBe(expected)
  })

  it("leaves a language without a grammar alone", () => {
    expect(run(removeCommentOnlyCompletion, "a.kt", "", "// only a comment")).toBe("// only a comment")
  })
})

describe("trim_by_min_allowed_context", () => {
  it.each([
    [
      "python: from the top of a function body, runs to the function's end",
      "a.py",
      "def f(x):\n    ",
      "if x:\n        y()\n    return 1\n\nprint(2)\n",
      "if x:\n        y()\n    return 1",
    ],
    [
      "python: inside an if body, stops at that body's end",
      "a.py",
      "def f(x):\n    if x:\n        ",
      "y = 1\n        z = 2\n    return 3\n",
      "y = 1\n        z = 2",
    ],
    [
      "python: the signature's completion stops at the function's end (fixture 01)",
      "a.py",
      "def divide(x, y):\n  return x / y\n\ndef is_even(n: int) ->",
      " bool:\n    return n % 2 == 0\n\n\ndef is_odd",
      " bool:\n    return n % 2 == 0",
    ],
    [
      "javascript: a completion that closes the block and starts new code is cut at the block's end",
      "a.js",
      "function f() {\n  return 1",
      "\n}\n\nfunction g() {\n  return 2\n}\n",
      "\n}",
    ],
    [
      "javascript: inside an if body",
      "a.js",
      "function f(x) {\n  if (x) {\n    ",
      "a()\n    b()\n  }\n  return 3\n}\n",
      "a()\n    b()\n  }",
    ],
    [
      "go: runs to the end of the function",
      "a.go",
      "package main\n\nfunc f() int {\n\t",
      "x := 1\n\treturn x\n}\n\nfunc g() {}\n",
      "x := 1\n\treturn x\n}",
    ],
    [
      "java: a method body stops at the method's end",
      "A.java",
      "class A {\n  int f() {\n    ",
      "int x = 1;\n    return x;\n  }\n\n  int g() { return 2; }\n}\n",
      "int x = 1;\n    return x;\n  }",
    ],
    [
      "ruby: a method body stops at its end",
      "a.rb",
      "def f(x)\n  ",
      "y = x * 2\n  y\nend\n\ndef g\nend\n",
      "y = x * 2\n  y\nend",
    ],
    [
      "ruby: a method body in a class stops at the method's end, before the class's",
      "a.rb",
      "class A\n  def f(x)\n    ",
      "y = x * 2\n    y\n  end\nend\n",
      "y = x * 2\n    y\n  end",
    ],
    [
      "python: a for body stops before the dedented yield after the loop",
      "a.py",
      "def gen(items):\n    total = 0\n    for item in items:\n        ",
      "total += item\n    yield total\n",
      "total += item",
    ],
    [
      "python: an if in a for body stops at the for's end, before the dedented yield",
      "a.py",
      "def gen(items):\n    for item in items:\n        ",
      "if item:\n            yield item\n    yield None\n",
      "if item:\n            yield item",
    ],
  ])("%s", (_, fileName, prefix, completion, expected) => {
    expect(run(trimByMinAllowedContext, fileName, prefix, completion)).toBe(expected)
  })

  it.each([
    ["a single-line completion inside a block", "a.py", "def f():\n    return ", "1"],
    ["whitespace only", "a.py", "def f():\n    ", "   "],
    ["a language without a grammar", "a.kt", "fun f() {\n", "  g()\n}\nfun h() {}\n"],
  ])("leaves %s unchanged", (_, fileName, prefix, completion) => {
    expect(run(trimByMinAllowedContext, fileName, prefix, completion)).toBe(completion)
  })

  it("cuts at the right place in CRLF files (a CRLF is two characters, as tree-sitter counts it)", () => {
    const prefix = "def f(x):\r\n    if x:\r\n        "
    expect(run(trimByMinAllowedContext, "a.py", prefix, "y = 1\r\n        z = 2\r\n    return 3\r\n"))
      .toBe("y = 1\r\n        z = 2")
  })

  it("parses TSX with JSX", () => {
    const prefix = "export function View() {\n  return (\n    "
    expect(
      run(
        trimByMinAllowedContext,
        "View.tsx",
        prefix,
        "<div>\n      <b>hi</b>\n    </div>\n  )\n}\n\nexport const x = 1\n",
      ),
    )
      .toBe("<div>\n      <b>hi</b>\n    </div>\n  )")
  })

  it("works from the block's start far into a large file (tree-sitter offsets on non-ASCII lines)", () => {
    const filler = Array.from(
      { length: 3_000 },
      (_, index) => `def f${index}():\n    return "ünïcödé 🙂 ${index}"\n`,
    )
      .join("")
    const prefix = `${filler}\ndef g(x):\n    s = "日本語 🙂"\n    `
    expect(run(trimByMinAllowedContext, "a.py", prefix, "return s\n\ndef h():\n    pass\n")).toBe("return s")
  })
})

describe("fix_end_block_errors", () => {
  it.each([
    ["python: a closing `):` the suffix has", "a.py", "def say_hi(s: str", "):", "):\n    print(s)\n", ""],
    ["go: a `}` the suffix has", "a.go", "package main\n\nfunc f() {\n\tg()\n", "}", "}\n", ""],
    [
      "javascript: code then the repeated closer",
      "a.js",
      "function f() {\n  ",
      "return 1\n}",
      "}\n",
      "return 1\n",
    ],
    ["java: a repeated closer", "A.java", "class A {\n  void f() {\n    g();\n  ", "}", "}\n}\n", ""],
    ["ruby: a repeated end", "a.rb", "def f\n  g\n", "end", "end\n", ""],
  ])("drops %s", (_, fileName, prefix, completion, suffix, expected) => {
    expect(run(fixEndBlockErrors, fileName, prefix, completion, suffix)).toBe(expected)
  })

  it.each([
    [
      "the completion does not end with the suffix's first line",
      "a.js",
      "function f() {\n  ",
      "return 1",
      "}\n",
    ],
    ["dropping the tail would leave broken code", "a.py", "def f(", "x", "x):\n    pass\n"],
    ["there is no suffix", "a.go", "package main\nfunc f() {\n", "}", ""],
    ["a language without a grammar", "a.kt", "fun f() {\n", "}", "}\n"],
    [
      "the prefix holds an unbalanced quote on an earlier line, far before the cursor",
      "a.py",
      `greeting = "hello\n${"x = 1\n".repeat(800)}def say_hi(s: str`,
      "):",
      "):\n    print(s)\n",
    ],
  ])("keeps the completion when %s", (_, fileName, prefix, completion, suffix) => {
    expect(run(fixEndBlockErrors, fileName, prefix, completion, suffix)).toBe(completion)
  })
})

describe("clean_model_reflection", () => {
  const context = [
    "# compute totals",
    "total = 0",
    "for item in items:",
    "    total += item.price",
    "this is a paragraph of plain text that was in the file",
    "and this is more of the same plain text in that file",
    "another line of the plain words written in the file",
    "yet another line of plain words written in the file",
    "and the last line of plain words written in the file",
    "}",
  ].join("\n")

  it.each([
    [
      "python: drops an echoed single comment line",
      "a.py",
      "\nresult = 1\n# compute totals\nprint(result)",
      "\nresult = 1\nprint(result)",
    ],
    [
      "python: drops a large echoed prose run",
      "a.py",
      "\nresult = 1\n" + context.split("\n").slice(4, 9).join("\n"),
      "\nresult = 1\n",
    ],
    [
      "python: keeps a short code repeat",
      "a.py",
      "\ntotal = 0\nfor item in items:\n    total += item.price",
      "\ntotal = 0\nfor item in items:\n    total += item.price",
    ],
    ["javascript: keeps a repeated closing brace", "a.js", "\n  x()\n}", "\n  x()\n}"],
    [
      "go: keeps a repeated line that is no comment in Go",
      "a.go",
      "\nx := 1\n# compute totals",
      "\nx := 1\n# compute totals",
    ],
    ["java: keeps new lines", "A.java", "\nint x = 1;\nint y = 2;", "\nint x = 1;\nint y = 2;"],
    ["ruby: drops an echoed comment line", "a.rb", "\nputs 1\n# compute totals", "\nputs 1\n"],
  ])("%s", (_, fileName, completion, expected) => {
    expect(run(cleanModelReflection, fileName, `${context}\nvalue = `, completion)).toBe(expected)
  })

  it("keeps the text on the cursor's line", () => {
    expect(run(cleanModelReflection, "a.py", "# compute totals\nx = ", "1\n# compute totals")).toBe("1\n")
    expect(run(cleanModelReflection, "a.py", "x = ", "1")).toBe("1")
  })
})

describe("strip_whitespaces", () => {
  it.each([
    ["   \n\t ", ""],
    ["", ""],
    ["  x = 1  ", "  x = 1  "],
  ])("%j → %j", (completion, expected) => {
    expect(run(stripWhitespaces, "a.py", "", completion)).toBe(expected)
  })
})

describe("generation steps", () => {
  it.each([
    ["```python\ndef f():\n    pass\n```", "def f():\n    pass\n"],
    ["  ```\ncode\n```  \n", "code\n"],
    ["```js\nconst a = 1", "const a = 1"],
    ["no fence", "no fence"],
  ])("stripCodeFence %j", (text, expected) => {
    expect(stripCodeFence(text)).toBe(expected)
  })

  it.each([
    ["code</new_code>\nexplanation", "code"],
    ["<new_code>code</new_code>", "code"],
    ["Here it is: <new_code>x = 1</new_code> done", "x = 1"],
    ["plain", "plain"],
  ])("stripNewCodeTags %j", (text, expected) => {
    expect(stripNewCodeTags(text)).toBe(expected)
  })

  it("prepends a newline only when neither side has one", () => {
    expect(prependNewline("def f():", "    pass")).toBe("\n    pass")
    expect(prependNewline("def f():\n", "    pass")).toBe("    pass")
    expect(prependNewline("def f():", "\n    pass")).toBe("\n    pass")
  })
})
