import type { Column } from './columns.ts'

/*
 * Sorting a list by its columns: which column and which way, read from the list's address
 * with the screen's own default, and the header links that sort by each column. The rows
 * are ordered by the screen's query, which breaks ties its own way (the chat lists: idle
 * time in the same direction, then chat number; plugin/chats/list-store.ts), so that the
 * order is total.
 */

export type SortDir = 'asc' | 'desc'
export interface Sort<K extends string> { key: K, dir: SortDir }

/** The sort asked for in the address, each part falling back to the list's own; a key the list does not sort by is its own too. */
export function sortOf<K extends string> (asked: { sort?: K, dir?: SortDir }, own: Sort<K>, sortable: (key: K) => boolean = () => true): Sort<K> {
  return {
    key: asked.sort !== undefined && sortable(asked.sort) ? asked.sort : own.key,
    dir: asked.dir ?? own.dir
  }
}

/** A header of views/lists/table.hbs that sorts: by its column, the other way when it is the sort now. */
export interface SortHeader<K extends string> extends Column<K> {
  sortUrl: string
  ariaSort: 'ascending' | 'descending' | 'none'
  sorted: SortDir | null
  nextLabel: 'ascending' | 'descending'
}

/** Each column's header link, built with the list's own address for a sort (its filters and search kept). */
export function sortHeaders<K extends string> (columns: ReadonlyArray<Column<K>>, sort: Sort<K>, urlFor: (next: Sort<K>) => string): Array<SortHeader<K>> {
  return columns.map((c) => {
    const sorted = sort.key === c.key ? sort.dir : null
    const next = sorted === 'asc' ? 'desc' : 'asc'
    return {
      ...c,
      sortUrl: urlFor({ key: c.key, dir: next }),
      ariaSort: sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none',
      sorted,
      nextLabel: next === 'asc' ? 'ascending' : 'descending'
    }
  })
}
