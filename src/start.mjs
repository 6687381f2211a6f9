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
const { main } = await import("./main.node.ts")
main()
