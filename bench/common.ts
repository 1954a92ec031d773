/**
 * What the benchmarks share: numbers from the environment, percentiles, and a fresh
 * database (a SQLite file in a temp folder, or a new MySQL/MariaDB database beside the one
 * DATABASE_URL names) that is dropped at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import knexFactory, { type Knex } from 'knex'
import { knexConfig } from '../knexfile.ts'

/** A number from the environment, or the fallback; anything below `min` stops the run with exit code 2. */
export function numberFromEnv (name: string, fallback: number, min: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min) {
    console.error(`${name} must be a number >= ${min} (got "${raw}")`)
    process.exit(2)
  }
  return n
}

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
export const fmt = (n: number, digits = 1): string => Number.isFinite(n) ? n.toFixed(digits) : 'n/a'

/** The nearest-rank percentile of sorted values; `p` from 0 to 1. */
export function percentile (sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

export interface Database {
  knex: Knex
  describe: string
  /** How another process reaches the same database: knexConfig(env.DATABASE_URL ? env : {}, env.sqliteFile). */
  env: { DATABASE_URL?: string, sqliteFile?: string }
  drop: () => Promise<void>
}

export async function freshDatabase (tag: string): Promise<Database> {
  const url = process.env.DATABASE_URL
  if (!url) {
    const dir = await mkdtemp(join(tmpdir(), 'livechat-bench-'))
    const sqliteFile = join(dir, 'bench.sqlite3')
    const knex = knexFactory(knexConfig({}, sqliteFile))
    const [row] = await knex.raw('select sqlite_version() as v') as Array<{ v: string }>
    const [mode] = await knex.raw('pragma journal_mode') as Array<{ journal_mode: string }>
    return {
      knex,
      describe: `SQLite ${row?.v} (file in ${tmpdir()}, journal_mode=${mode?.journal_mode})`,
      env: { sqliteFile },
      drop: async () => { await knex.destroy(); await rm(dir, { recursive: true, force: true }) }
    }
  }
  const parsed = new URL(url)
  const name = `${parsed.pathname.slice(1) || 'bench'}_${tag}_${process.pid}_${Date.now()}`
  const server = new URL(url)
  server.pathname = '/'
  const admin = knexFactory(knexConfig({ DATABASE_URL: server.href }))
  try {
    await admin.raw('CREATE DATABASE ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci', [name])
  } finally {
    await admin.destroy()
  }
  parsed.pathname = `/${name}`
  const knex = knexFactory(knexConfig({ DATABASE_URL: parsed.href }))
  const [rows] = await knex.raw('select version() as v') as [Array<{ v: string }>]
  return {
    knex,
    describe: `MySQL/MariaDB ${rows[0]?.v} (fresh database ${name} at ${parsed.host})`,
    env: { DATABASE_URL: parsed.href },
    drop: async () => {
      await knex.raw('DROP DATABASE IF EXISTS ??', [name])
      await knex.destroy()
    }
  }
}

/** A run's way out: cleanups run last-in first-out, a hard timeout, and Ctrl-C or SIGTERM. */
export interface Run {
  cleanups: Array<() => Promise<void>>
  halted: () => boolean
  cleanUp: () => Promise<void>
  /** Stops at once, cleans up (at most 5 s) and exits with `code`. */
  abort: (why: string, code: number) => void
  /**
   * Runs the benchmark's `main`, cleans up and exits with the code it returned (1 when it
   * threw). After an abort, the abort's own cleanup and exit stand.
   */
  finish: (main: () => Promise<number>) => Promise<void>
}

/**
 * `settleMs` lets what is in flight finish before the database goes away; `onCleanUp` runs
 * as cleaning starts (say, to stop reporting sockets the cleanup itself closes).
 */
export function guardRun ({ timeoutMs, settleMs = 300, onCleanUp }: { timeoutMs: number, settleMs?: number, onCleanUp?: () => void }): Run {
  const cleanups: Array<() => Promise<void>> = []
  let halted = false
  async function cleanUp (): Promise<void> {
    onCleanUp?.()
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!()
      } catch (err) {
        console.error('cleanup:', err instanceof Error ? err.message : err)
      }
    }
  }
  function abort (why: string, code: number): void {
    if (halted) return
    halted = true
    console.error(`benchmark: ${why}; cleaning up and exiting`)
    void Promise.race([sleep(settleMs).then(cleanUp), sleep(5000)]).then(() => process.exit(code))
  }
  const hardStop = setTimeout(() => { abort(`hard timeout after ${timeoutMs / 1000} s`, 3) }, timeoutMs)
  hardStop.unref()
  process.once('SIGINT', () => { abort('interrupted', 130) })
  process.once('SIGTERM', () => { abort('terminated', 143) })
  async function finish (main: () => Promise<number>): Promise<void> {
    let code = 1
    try {
      code = await main()
    } catch (err) {
      console.error('benchmark failed:', err)
    } finally {
      if (!halted) await cleanUp()
    }
    if (!halted) process.exit(code)
  }
  return { cleanups, halted: () => halted, cleanUp, abort, finish }
}

/**
 * Text for the benchmarks, repeatable from `seed`: a vocabulary of `size` made-up words
 * drawn with a Zipf distribution (the word of rank r with weight 1/r), as real text is:
 * a few words are in most rows, most words in few. The `common` most frequent words stand
 * for the stopwords of real text, which searchWords drops: `askedWord` never picks them,
 * as no real question or search asks for "the".
 */
export function zipfText (seed: number, size: number) {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x6D2B79F5) >>> 0
    let x = Math.imul(s ^ (s >>> 15), 1 | s)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  const syllables = ['ka', 'lo', 'ver', 'tan', 'mi', 'sor', 'pel', 'dri', 'nox', 'ga', 'bet', 'ru', 'fin', 'stel', 'qua', 'zo', 'har', 'wen', 'cli', 'mont']
  const vocabulary = Array.from({ length: size }, (_, i) => {
    let w = ''
    for (let n = i + 7; w.length < 6 || n > 0; n = Math.floor(n / syllables.length)) w += syllables[n % syllables.length]
    return w
  })
  const cumulative: number[] = []
  vocabulary.reduce((sum, _, r) => { cumulative.push(sum + 1 / (r + 1)); return sum + 1 / (r + 1) }, 0)
  const rank = (): number => {
    const x = next() * cumulative.at(-1)!
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! < x) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  const common = Math.min(100, Math.floor(size / 10))
  const askedWord = (): string => {
    for (;;) {
      const r = rank()
      if (r >= common) return vocabulary[r]!
    }
  }
  const words = (n: number): string => Array.from({ length: n }, () => vocabulary[rank()]!).join(' ')
  return { next, vocabulary, rank, words, askedWord }
}

/**
 * Fills a table fast: `rows` as multi-row INSERTs of at most `perStatement` rows, ten
 * statements per transaction. Stops early (returning what it inserted) when the run halts.
 */
export async function bulkInsert (run: Pick<Run, 'halted'>, knex: Knex, table: string, columns: string[], rows: Iterable<unknown[]>, perStatement: number): Promise<number> {
  const statementsPerTransaction = 10
  const head = `insert into ${table} (${columns.join(', ')}) values `
  const tuple = `(${columns.map(() => '?').join(', ')})`
  let batch: unknown[][] = []
  let pending: unknown[][][] = []
  let total = 0
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return
    const statements = pending
    pending = []
    await knex.transaction(async (trx) => {
      for (const s of statements) await trx.raw(head + Array(s.length).fill(tuple).join(', '), s.flat() as Knex.ValueDict[keyof Knex.ValueDict][])
    })
  }
  for (const row of rows) {
    batch.push(row)
    total++
    if (batch.length >= perStatement) {
      pending.push(batch)
      batch = []
      if (pending.length >= statementsPerTransaction) await flush()
      if (run.halted()) return total
    }
  }
  if (batch.length > 0) pending.push(batch)
  await flush()
  return total
}

/** A tiny cookie jar and form poster over real HTTP on loopback. */
export class Browser {
  readonly base: string
  cookies = new Map<string, string>()
  constructor (base: string) { this.base = base }

  cookie (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  async request (method: string, path: string, opts: { form?: Record<string, string>, headers?: Record<string, string> } = {}): Promise<{ status: number, body: string, location: string | null }> {
    const headers: Record<string, string> = { cookie: this.cookie(), ...opts.headers }
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers.origin = this.base
    }
    const res = await fetch(this.base + path, {
      method, headers, redirect: 'manual', body: opts.form ? new URLSearchParams(opts.form).toString() : undefined
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const eq = pair!.indexOf('=')
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim())
    }
    return { status: res.status, body: await res.text(), location: res.headers.get('location') }
  }

  async csrf (path: string): Promise<string> {
    const res = await this.request('GET', path)
    const token = /name="lc-csrf" content="([^"]+)"/.exec(res.body)?.[1]
    if (!token) throw new Error(`no CSRF token on ${path} (${res.status})`)
    return token
  }
}

/** Signs each agent in over loopback and switches Available on: their console's browser and CSRF token, by username. */
export async function availableAgents (base: string, names: readonly string[]): Promise<Map<string, { browser: Browser, token: string }>> {
  const agents = new Map<string, { browser: Browser, token: string }>()
  for (const name of names) {
    const browser = new Browser(base)
    const login = await browser.request('POST', '/login', { form: { username: name, password: 'demo' } })
    if (login.status !== 303) throw new Error(`login as ${name} failed: ${login.status}`)
    const token = await browser.csrf('/livechat/console')
    const on = await browser.request('POST', '/livechat/console/availability', { form: { available: 'on', _csrf: token }, headers: { 'x-csrf-token': token, 'hx-request': 'true' } })
    if (on.status !== 200) throw new Error(`${name} could not switch Available on: ${on.status}`)
    agents.set(name, { browser, token })
  }
  return agents
}
