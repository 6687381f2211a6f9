/**
 * Lint rule `aigw/effect-module-imports`: production code imports Effect one module at a time
 * (`import * as Effect from "effect/Effect"`), never through a package's index (`"effect"`,
 * `"effect/http"`, `"effect/http-api"`, `"@effect/platform-node"`, ...). Node runs the sources
 * unbundled, so an index import evaluates every module it re-exports: `"effect"` alone holds about
 * 20 MB more than the modules aigw uses (docs/decisions.md, "Module imports"). Tests and the bench
 * may import the indexes; only `src/` is checked.
 */
const packageIndex = /^(effect|@effect\/[a-z-]+)(\/[a-z][a-z-]*)?$/

const plugin: Deno.lint.Plugin = {
  name: "aigw",
  rules: {
    "effect-module-imports": {
      create(context) {
        if (!/[/\\]src[/\\]/.test(context.filename)) return {}
        return {
          ImportDeclaration(node) {
            const source = node.source.value
            if (!packageIndex.test(source)) return
            context.report({
              node: node.source,
              message: `"${source}" is a package index: importing it loads every module it re-exports`,
              hint: `import each module by its path, e.g. import * as Effect from "effect/Effect"`,
            })
          },
        }
      },
    },
  },
}

export default plugin
