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

/** A moment (epoch ms) in the host's own time format, as hostClock writes the present. */
export function hostTime (knex: Knex, times: HostMapping['times'], at: number): number | Date | string {
  return times === 'epoch_ms' ? at : isSqlite(knex) ? sqliteDatetime(new Date(at)) : new Date(at)
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

/** A text column as the database describes it: its charset and the bytes it holds. */
export interface TextColumn { charset: string | null, bytes: number | null }

/**
 * The desk's text columns, per table, read once (docs/hosts.md, "Text in a 3-byte utf8 desk"): their charsets (a 3-byte utf8 column
 * takes no emoji) and sizes (a MySQL TEXT holds 65,535 bytes); and a row's text fitted to them. None on SQLite,
 * whose TEXT takes anything.
 */
export function columnFit (knex: Knex): { textColumns: (table: string) => Promise<Map<string, TextColumn>>, fitRow: (table: string, row: Row) => Promise<Row> } {
  const columnsRead = new Map<string, Promise<Map<string, TextColumn>>>()
  async function textColumns (table: string): Promise<Map<string, TextColumn>> {
    if (isSqlite(knex)) return new Map()
    let read = columnsRead.get(table)
    if (!read) {
      read = knex.raw(
        'SELECT COLUMN_NAME AS name, CHARACTER_SET_NAME AS charset, CHARACTER_OCTET_LENGTH AS n FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
        [table]
      ).then(([rows]: [Array<{ name: string, charset: string | null, n: number | string | null }>]) => new Map(rows.map((r): [string, TextColumn] =>
        [r.name.toLowerCase(), { charset: r.charset, bytes: r.n == null ? null : Number(r.n) }])))
        .catch(() => { columnsRead.delete(table); return new Map<string, TextColumn>() })
      columnsRead.set(table, read)
    }
    return await read
  }

  /** A row's text as the table's columns can hold it (fitCharset); other values as they are. */
  async function fitRow (table: string, row: Row): Promise<Row> {
    const columns = await textColumns(table)
    if (columns.size === 0) return row
    return Object.fromEntries(Object.entries(row).map(([column, value]) =>
      [column, typeof value === 'string' ? fitCharset(value, columns.get(column.toLowerCase())?.charset) : value]))
  }
  return { textColumns, fitRow }
}
