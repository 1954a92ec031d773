import type { Knex } from 'knex'
import type { RequestLike } from './adapter.ts'
import type { HostMapping } from './mapping.ts'

/** Shared by the parts of sqlHost, and by adapters written for a host: reading the host's rows. */

export type Row = Record<string, unknown>

/** A time as SQLite's CURRENT_TIMESTAMP writes it: UTC, to the second. */
export function sqliteDatetime (at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ')
}

/** A host datetime read back: a Date from MySQL, or text with no zone, which is UTC (not the server's local time). */
export function datetimeMs (value: string | Date): number {
  if (value instanceof Date) return value.getTime()
  const text = value.includes('T') ? value : value.replace(' ', 'T')
  return new Date(/(Z|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`).getTime()
}

/** A cookie of the request, from the parsed cookies when the host has a cookie parser, else from the header. */
export function cookieFrom (request: RequestLike, name: string): string | undefined {
  if (request.cookies) return request.cookies[name]
  const header = request.headers.cookie
  const raw = Array.isArray(header) ? header.join('; ') : header
  for (const part of (raw ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim())
  }
  return undefined
}

/** A caller's limit kept to what a page of suggestions can show. */
export const clampLimit = (limit: number): number => Math.max(1, Math.min(50, Math.floor(limit) || 1))

export function isTransaction (value: unknown): value is Knex.Transaction {
  return typeof value === 'function' && (value as Knex.Transaction).isTransaction === true
}

export function isSqlite (knex: Knex): boolean {
  return !String(knex.client.config.client).startsWith('mysql')
}

/**
 * The host's own time format, written and compared as the host does: epoch milliseconds,
 * or a datetime. SQLite has no datetime type: a host keeps text there ('YYYY-MM-DD
 * HH:MM:SS', UTC, as CURRENT_TIMESTAMP writes it), and a number compared with text is
 * always smaller, so an expired session would pass. MySQL's DATETIME takes a Date (in UTC:
 * the connection's time zone is Z).
 */
export function hostClock (knex: Knex, times: HostMapping['times']): () => number | Date | string {
  const sqlite = isSqlite(knex)
  return () => times === 'epoch_ms' ? Date.now() : sqlite ? sqliteDatetime(new Date()) : new Date()
}

/** A time the host stored, as epoch milliseconds. */
export function hostTimeMs (value: unknown, times: HostMapping['times']): number | undefined {
  if (value === null || value === undefined) return undefined
  return times === 'epoch_ms' ? Number(value) : datetimeMs(value as string | Date)
}

/** MySQL/MariaDB character sets of three bytes a character at most: nothing above U+FFFF (an emoji, say) fits. */
const threeByteCharsets = new Set(['utf8', 'utf8mb3'])

/**
 * Text as a column of `charset` can hold it: in a 3-byte utf8 (utf8mb3) column, every character
 * above U+FFFF becomes U+FFFD, whole (a surrogate pair is never split), since the database
 * refuses the row otherwise ("Incorrect string value"). Any other charset, or none (SQLite),
 * keeps the text as it is.
 */
export function fitCharset (text: string, charset: string | null | undefined): string {
  if (!charset || !threeByteCharsets.has(charset.toLowerCase())) return text
  return text.replace(/[\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
}

/** The first `max` UTF-16 units of `text`, one fewer where the last would split a surrogate pair. */
export function clipText (text: string, max: number): string {
  if (text.length <= max) return text
  return /[\uD800-\uDBFF]/.test(text[max - 1] ?? '') ? text.slice(0, max - 1) : text.slice(0, max)
}
