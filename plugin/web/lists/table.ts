import { bind } from '../fragments.ts'
import type { SortHeader } from './sort.ts'

/*
 * The table of a list (views/lists/table.hbs): its headers (sorting or not), a tick per row
 * for the toolbar's actions, the rows' cells, what an empty list says and when there are
 * more rows than shown. Each screen says which rows, in which order, with which cells.
 */

/** A header that does not sort. `hidden`: its label is for screen readers only (a column of buttons). */
export interface PlainHeader { key: string, label: string, width?: number, hidden?: boolean }
export type Header = SortHeader<string> | PlainHeader

/**
 * A cell the kit draws (views/lists/cell.hbs): a text; a number; a time, with who did it
 * (and a dash when there is none); a status pill; a count with the names behind it. A
 * screen draws its own cells with a partial of its own (`partial`, with the cell as its data).
 */
export type Cell =
  | { kind: 'text', text: string }
  | { kind: 'number', text: string }
  | { kind: 'time', at: number | null, by?: string | null }
  | { kind: 'pill', tone: string, text: string }
  | { kind: 'count', count: number, names: string }
  | { kind: 'own', partial: string, [field: string]: unknown }

export interface Row {
  /** The row's id (realtime/targets.ts). */
  id: string
  className: string
  /** The row's tick, when the table has ticks: its value, and what a screen reader calls it. */
  select?: { value: string | number, label: string }
  cells: Cell[]
}

/** views/lists/table.hbs */
export interface ListTableModel {
  /** The table's root id (realtime/targets.ts): what its htmx answers replace. */
  id: string
  /** More classes of the root, beside lc-list-table. */
  className?: string
  /** The list's name, for screen readers. */
  label: string
  /** The list's own address: the table re-reads itself from it on the refresh signal (views/lists/stale.hbs). Null: it does not. */
  refreshUrl: string | null
  /** data-lc-<key> attributes of the root, for the browser's script. */
  dataset?: Array<{ key: string, value: string | number }>
  tableClass: string
  /** Whether the columns have widths (Visible Fields): a colgroup gives them. */
  sized: boolean
  /** Ticks: the field they are sent as, the form they belong to (when not the one they are in), and Select all's name. */
  select: { name: string, form?: string, all: string } | null
  headers: Header[]
  rows: Row[]
  empty: string
  /** There are more rows than shown: how to find the others. */
  more: string | null
}

export const listTableFragment = bind('lists/table', 'outerHTML', (m: ListTableModel) => m.id)

/** A page of rows read one beyond `size`: those shown, and whether there were more. */
export function pageOf<T> (found: T[], size: number): { shown: T[], more: boolean } {
  return { shown: found.slice(0, size), more: found.length > size }
}

/** A list's address with its state: parameters left out when unset or empty, in the order given. */
export function listAddress (path: string, params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') q.set(name, String(value))
  const query = q.toString()
  return query === '' ? path : `${path}?${query}`
}
