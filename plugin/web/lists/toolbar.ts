import { isCoded } from '../../errors.ts'
import { bind } from '../fragments.ts'

/*
 * What sits around a list's table: the search box and filters above it (views/lists/filters.hbs,
 * views/lists/search.hbs), the toolbar's actions on the ticked rows (views/lists/bulk.hbs) and
 * what they did, row by row (views/lists/results.hbs). Docs: docs/features.md#chat-lists,
 * #basic-search, #instant-messages, #chat-rooms.
 */

/** A reason a search could not be run, shown beside the box (`code` where the list names it). */
export interface SearchError { message: string, code?: string }

/** views/lists/search.hbs: the list's search box, with what was typed and why it was not searched for. */
export interface SearchBoxModel {
  /** The box's id; its hint and error are `<id>-hint` and `<id>-error`. */
  id: string
  /** Its name for screen readers, its placeholder and its button's. */
  label: string
  /** What it searches, for screen readers. */
  hint: string
  maxLength: number
  value: string
  /** Back to the list unsearched; null when nothing was searched for. */
  clearUrl: string | null
  error: SearchError | null
  /** The error is announced as it appears. */
  alert: boolean
}

/** A choice of views/lists/filters.hbs: a select, its first option meaning "all". */
export interface FilterSelect {
  id: string
  name: string
  label: string
  all: string
  options: Array<{ value: string | number, text: string, selected: boolean }>
}

/** views/lists/filters.hbs: the form above a list that narrows it. */
export interface FiltersModel {
  action: string
  /** The form's name for screen readers. */
  label: string
  className?: string
  /** Sent along before the search box: which view the list is. */
  keep: Array<{ name: string, value: string }>
  search: SearchBoxModel
  selects: FilterSelect[]
  /** Date fields after the selects (a custom range), where the screen has them. */
  dates?: Array<{ id: string, name: string, label: string, value: string }>
  /** Sent along after the selects: the sort. */
  carry: Array<{ name: string, value: string }>
  /** An Apply button, where there is more than the search box to send. */
  apply: boolean
  /** Back to the list unnarrowed (the search box aside); null when it is not narrowed. */
  showAll: string | null
}

/**
 * What the list shows for what was typed in its search box: `read` with the words, or, when
 * the service refuses them (one of `refusals`), `read` unsearched with the reason for the box.
 */
export async function readSearched<T> (typed: string, read: (q: string | undefined) => Promise<T>, refusals: ReadonlySet<string>): Promise<{ value: T, q: string | undefined, error: SearchError | null }> {
  const q = typed.trim() === '' ? undefined : typed.trim()
  try {
    return { value: await read(q), q, error: null }
  } catch (err) {
    if (q === undefined || !isCoded(err) || !refusals.has(err.code)) throw err
    return { value: await read(undefined), q: undefined, error: { message: err.message, code: err.code } }
  }
}

/** views/lists/bulk.hbs: one action of the toolbar on the ticked rows (Join, Delete selected …). */
export interface BulkFormModel {
  /** The form's root id (realtime/targets.ts). */
  id: string
  action: string
  /** GET for what changes nothing (Transcript); POST otherwise. */
  get?: boolean
  /** Asked in the browser before sending. */
  confirm?: string
  label: string
  title?: string
  tone?: 'danger' | 'primary'
  errorId: string
  /** Why nothing was sent: shown under the button. */
  error?: string
}

export const bulkFormFragment = bind('lists/bulk', 'outerHTML', (m: BulkFormModel) => m.id)

/** views/lists/results.hbs: what an action did to each ticked row, done or why not. */
export interface ResultsModel {
  /** Where it is shown: the list's outcome area (realtime/targets.ts). */
  target: string
  verb: string
  results: Array<{ label: string, href: string | null, ok: boolean, reason?: string }>
  done: number
  failed: number
  /** What to know next, when something was done. */
  hint: string | null
}

export const resultsFragment = bind('lists/results', 'innerHTML', (m: ResultsModel) => m.target)

/** The ticked rows of a toolbar form: one field or many, numbers, each once. */
export function tickedIds (raw: string | string[] | undefined): number[] {
  return [...new Set((raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(Number))]
}

/** Nothing was done: the answer's status is the refusals' own when they agree (all 403, say), else 409. */
export function outcomeStatus (outcomes: Array<{ done: boolean, statusCode?: number }>): number {
  if (outcomes.some((o) => o.done)) return 200
  const codes = new Set(outcomes.map((o) => o.statusCode ?? 409))
  return codes.size === 1 ? [...codes][0]! : 409
}
