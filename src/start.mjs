// The npm scripts' entry: plain JavaScript, so an older Node reaches this check instead of
// failing on the `.ts` import with ERR_UNKNOWN_FILE_EXTENSION. Node 24 strips the types of
// main.node.ts with no build step.
const required = 24
const major = Number(process.versions.node.split(".")[0])
if (!(major >= required)) {
  process.stderr.write(
    `aigw needs Node ${required} or newer, this is Node ${process.versions.node}: ` +
      "run it through npm (npm start, npm run dev), which uses the Node 24 that npm ci installs\n",
  )
  process.exit(1)
}
// Node's compile cache keeps each module's type-stripped and compiled form on disk: a start whose
// sources are all in it never loads the TypeScript stripper, whose WebAssembly otherwise holds about
// 14 MB for the life of the process (docs/decisions.md, "Compile cache"). The directory is
// NODE_COMPILE_CACHE's, else node-compile-cache under the system's temporary directory;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. It never fails a start: a directory that cannot be
// written only leaves the cache unused. Imported after the version check: a static import of
// enableCompileCache fails to link on a Node too old to have it, before the check could run.
const { enableCompileCache } = await import("node:module")
enableCompileCache()
const { main } = await import("./main.node.ts")
main()
