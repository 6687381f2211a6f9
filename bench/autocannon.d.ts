/** The part of autocannon 9's library API the benchmark uses (the package ships no types). */
declare module "autocannon" {
  interface Options {
    readonly url: string
    readonly method?: string
    readonly headers?: Record<string, string>
    readonly body?: string
    readonly connections?: number
    readonly duration?: number
    readonly amount?: number
    readonly timeout?: number
    /** Requests per second across all connections. */
    readonly overallRate?: number
  }
  interface Histogram {
    readonly average: number
    readonly mean: number
    readonly p50: number
    readonly p99: number
    readonly max: number
    readonly total: number
  }
  interface Result {
    readonly requests: Histogram
    readonly latency: Histogram
    readonly duration: number
    readonly errors: number
    readonly timeouts: number
    readonly non2xx: number
    readonly "2xx": number
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
