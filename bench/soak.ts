/**
 * `npm run soak` (SPEC §9): aigw in production mode under a steady mix of chat, code completions
 * (2 KB and 20 KB files) and streamed generations for 10 minutes, its RSS printed every 30 s.
 * RSS must stay flat, and be at most 150 MB once 100,000 requests were served.
 *
 * Options: --minutes <n> (default 10), --interval <s> (default 30), --rate <req/s> of the whole
 * mix (default 300; it is rate-limited so the machine stays usable), --pin (aigw on core 0).
 */
import { parseArgs } from "node:util"
import { runAutocannon, runStreams } from "./load.ts"
import { cpuMs, rssBytes, warmCompileCache } from "./processes.ts"
import { startWorld } from "./setup.ts"

const { values: options } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    interval: { type: "string", default: "30" },
    rate: { type: "string", default: "300" },
    pin: { type: "boolean", default: false },
  },
})
const minutes = Number(options.minutes)
const interval = Number(options.interval)
const rate = Number(options.rate)

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1)

const main = async () => {
  await warmCompileCache([])
  const world = await startWorld(options.pin ? { server: "0", upstream: "1" } : {})
  const { aigw, targets } = world
  const samples: Array<{ seconds: number; requests: number; rssMb: number }> = []
  let requests = 0
  let failures = 0
  const started = Date.now()
  const cpuStart = cpuMs(aigw.pid)
  const print = (line: string) => process.stdout.write(`${line}\n`)
  try {
    print(
      `soak: ${minutes} min, ~${rate} req/s mixed (chat 40 %, completions 2 KB 20 %, 20 KB 7 %, streams ~30 %)`,
    )
    print(`| elapsed s | requests | failed | aigw RSS MB |`)
    print(`|---:|---:|---:|---:|`)
    const rss0 = rssBytes(aigw.pid)
    print(`| 0 | 0 | 0 | ${mb(rss0)} |`)
    samples.push({ seconds: 0, requests: 0, rssMb: rss0 / 2 ** 20 })
    while (Date.now() - started < minutes * 60_000) {
      const window = Math.min(interval, Math.ceil((minutes * 60_000 - (Date.now() - started)) / 1000))
      const results = await Promise.all([
        runAutocannon(targets.chat, 4, window, rate * 0.4),
        runAutocannon(targets.completions(2), 2, window, rate * 0.2),
        runAutocannon(targets.completions(20), 2, window, Math.max(1, rate * 0.07)),
        // One stream at a time with a pause between: ~30 % of the default rate.
        runStreams(targets.generationStream, 1, window, (body) => body.includes("return s[::-1]"), 3),
      ])
      for (const result of results) {
        requests += result.requests
        failures += result.failures
      }
      const seconds = Math.round((Date.now() - started) / 1000)
      const rss = rssBytes(aigw.pid) / 2 ** 20
      samples.push({ seconds, requests, rssMb: rss })
      print(`| ${seconds} | ${requests} | ${failures} | ${rss.toFixed(1)} |`)
    }
  } finally {
    const cpu = cpuMs(aigw.pid) - cpuStart
    await world.close()
    const at100k = samples.find((sample) => sample.requests >= 100_000)
    const late = samples.slice(-Math.max(1, Math.floor(samples.length / 3)))
    const early = samples.filter((sample) => sample.seconds >= 60)[0] ?? samples[samples.length - 1]!
    const lateMean = late.reduce((sum, sample) => sum + sample.rssMb, 0) / late.length
    const peak = Math.max(...samples.map((sample) => sample.rssMb))
    print("")
    print(
      `requests: ${requests} (${failures} failed), aigw CPU ${
        (cpu / Math.max(1, requests)).toFixed(2)
      } ms per request`,
    )
    print(
      `RSS: after 1 min ${early.rssMb.toFixed(1)} MB, mean of the last third ${
        lateMean.toFixed(1)
      } MB, peak ${peak.toFixed(1)} MB`,
    )
    print(
      at100k === undefined
        ? "RSS after 100,000 requests: not reached (run longer or raise --rate)"
        : `RSS after 100,000 requests (at ${at100k.requests}): ${
          at100k.rssMb.toFixed(1)
        } MB (target <= 150 MB): ${at100k.rssMb <= 150 ? "met" : "MISSED"}`,
    )
    const growth = (lateMean - early.rssMb) / early.rssMb
    print(
      `growth from minute 1 to the last third: ${(growth * 100).toFixed(1)} % (flat: within 10 %): ${
        Math.abs(growth) <= 0.1 ? "met" : "MISSED"
      }`,
    )
  }
}

await main()
