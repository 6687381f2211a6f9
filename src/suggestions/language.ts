/**
 * Programming language of the file being edited (SPEC §3.5).
 *
 * The file name's extension decides (exact, case-sensitive match); only when the extension is
 * unknown does the editor's `language_identifier` (VS Code ids) count. The reported id is the
 * short lower-case name the original used for its 13 languages (`python`, `js`, `ts`, …), which
 * clients and dashboards already know; the languages beyond them get ids in the same style.
 */

/** How a language writes a comment, for prompt headers and comment detection. */
export interface CommentSyntax {
  /** Starts a comment that runs to the end of the line, e.g. `//` or `#`. */
  readonly line?: string
  /** Opens and closes a block comment, e.g. `/*` and `*\/`. */
  readonly block?: readonly [string, string]
}

export interface Language {
  /** The short lower-case id reported as `lang` (e.g. `js`). */
  readonly id: string
  /** A readable name for prompts (e.g. `JavaScript`). */
  readonly name: string
  readonly extensions: ReadonlyArray<string>
  /** VS Code language identifiers. */
  readonly editorIds: ReadonlyArray<string>
  readonly comments: CommentSyntax
  /** The tree-sitter grammar that parses it, when `@vscode/tree-sitter-wasm` ships one. */
  readonly grammar?: string
}

const cStyle: CommentSyntax = { line: "//", block: ["/*", "*/"] }
const hash: CommentSyntax = { line: "#" }

export const languages: ReadonlyArray<Language> = [
  // The 13 languages of the original; their ids never change.
  { id: "c", name: "C", extensions: ["c", "h"], editorIds: ["c"], comments: cStyle, grammar: "cpp" },
  {
    id: "cpp",
    name: "C++",
    extensions: ["cpp", "hpp", "c++", "h++", "cc", "hh", "C", "H", "cxx", "hxx"],
    editorIds: ["cpp"],
    comments: cStyle,
    grammar: "cpp",
  },
  {
    id: "csharp",
    name: "C#",
    extensions: ["cs"],
    editorIds: ["csharp"],
    comments: cStyle,
    grammar: "c-sharp",
  },
  { id: "go", name: "Go", extensions: ["go"], editorIds: ["go"], comments: cStyle, grammar: "go" },
  { id: "java", name: "Java", extensions: ["java"], editorIds: ["java"], comments: cStyle, grammar: "java" },
  {
    id: "js",
    name: "JavaScript",
    extensions: ["js", "jsx", "mjs", "cjs"],
    editorIds: ["javascript", "javascriptreact"],
    comments: cStyle,
    grammar: "javascript",
  },
  {
    id: "php",
    name: "PHP",
    extensions: ["php", "php3", "php4", "php5", "phps", "phpt"],
    editorIds: ["php"],
    comments: { line: "//", block: ["/*", "*/"] },
    grammar: "php",
  },
  {
    id: "python",
    name: "Python",
    extensions: ["py", "pyi"],
    editorIds: ["python"],
    comments: hash,
    grammar: "python",
  },
  { id: "ruby", name: "Ruby", extensions: ["rb"], editorIds: ["ruby"], comments: hash, grammar: "ruby" },
  { id: "rust", name: "Rust", extensions: ["rs"], editorIds: ["rust"], comments: cStyle, grammar: "rust" },
  { id: "scala", name: "Scala", extensions: ["scala", "sc"], editorIds: ["scala"], comments: cStyle },
  {
    id: "ts",
    name: "TypeScript",
    extensions: ["ts", "mts", "cts"],
    editorIds: ["typescript"],
    comments: cStyle,
    grammar: "typescript",
  },
  { id: "kotlin", name: "Kotlin", extensions: ["kt", "kts"], editorIds: ["kotlin"], comments: cStyle },
  // Beyond the original.
  { id: "swift", name: "Swift", extensions: ["swift"], editorIds: ["swift"], comments: cStyle },
  {
    id: "shell",
    name: "Shell",
    extensions: ["sh", "bash", "zsh"],
    editorIds: ["shellscript"],
    comments: hash,
    grammar: "bash",
  },
  {
    id: "sql",
    name: "SQL",
    extensions: ["sql"],
    editorIds: ["sql"],
    comments: { line: "--", block: ["/*", "*/"] },
  },
  {
    id: "lua",
    name: "Lua",
    extensions: ["lua"],
    editorIds: ["lua"],
    comments: { line: "--", block: ["--[[", "]]"] },
  },
  { id: "dart", name: "Dart", extensions: ["dart"], editorIds: ["dart"], comments: cStyle },
  { id: "elixir", name: "Elixir", extensions: ["ex", "exs"], editorIds: ["elixir"], comments: hash },
  {
    id: "haskell",
    name: "Haskell",
    extensions: ["hs"],
    editorIds: ["haskell"],
    comments: { line: "--", block: ["{-", "-}"] },
  },
  { id: "r", name: "R", extensions: ["r", "R"], editorIds: ["r"], comments: hash },
  { id: "perl", name: "Perl", extensions: ["pl", "pm"], editorIds: ["perl"], comments: hash },
  {
    id: "objective-c",
    name: "Objective-C",
    extensions: ["m", "mm"],
    editorIds: ["objective-c", "objective-cpp"],
    comments: cStyle,
  },
  {
    id: "terraform",
    name: "Terraform",
    extensions: ["tf", "tfvars", "hcl"],
    editorIds: ["terraform", "hcl"],
    comments: { line: "#", block: ["/*", "*/"] },
  },
  { id: "yaml", name: "YAML", extensions: ["yml", "yaml"], editorIds: ["yaml"], comments: hash },
  {
    id: "powershell",
    name: "PowerShell",
    extensions: ["ps1", "psm1"],
    editorIds: ["powershell"],
    comments: { line: "#", block: ["<#", "#>"] },
    grammar: "powershell",
  },
  {
    id: "css",
    name: "CSS",
    extensions: ["css"],
    editorIds: ["css"],
    comments: { block: ["/*", "*/"] },
    grammar: "css",
  },
  { id: "vue", name: "Vue", extensions: ["vue"], editorIds: ["vue"], comments: cStyle },
  { id: "svelte", name: "Svelte", extensions: ["svelte"], editorIds: ["svelte"], comments: cStyle },
]

/**
 * TSX is TypeScript with JSX: reported as `ts` (as the original did) but parsed with the TSX
 * grammar, since the TypeScript grammar rejects JSX.
 */
const typescriptReact: Language = {
  id: "ts",
  name: "TypeScript",
  extensions: ["tsx"],
  editorIds: ["typescriptreact"],
  comments: cStyle,
  grammar: "tsx",
}

const byExtension = new Map<string, Language>()
const byEditorId = new Map<string, Language>()
for (const language of [...languages, typescriptReact]) {
  for (const extension of language.extensions) byExtension.set(extension, language)
  for (const editorId of language.editorIds) byEditorId.set(editorId, language)
}

/** The extension after the last dot of the file name's last segment, or `""`. */
export const extensionOf = (fileName: string): string => {
  const base = fileName.slice(Math.max(fileName.lastIndexOf("/"), fileName.lastIndexOf("\\")) + 1)
  const dot = base.lastIndexOf(".")
  return dot <= 0 ? "" : base.slice(dot + 1)
}

/** The file's language: by extension first, else by editor language id; `undefined` if neither. */
export const detectLanguage = (
  fileName: string,
  editorLanguageId?: string | undefined,
): Language | undefined =>
  byExtension.get(extensionOf(fileName)) ??
    (editorLanguageId === undefined ? undefined : byEditorId.get(editorLanguageId.trim().toLowerCase()))
