import { orderedTable } from '../db/ordered.ts'

export interface LcManualEventRow {
  id: number
  name: string
  body: string
  agents_only: boolean | number
  sort_order: number
  created_at: number | string
}

/** A manual event as the administrator defined it. */
export interface ManualEvent {
  id: number
  name: string
  body: string
  agentsOnly: boolean
}

export function toEvent (row: LcManualEventRow): ManualEvent {
  // SQLite and MySQL both hand booleans back as 0/1.
  return { id: Number(row.id), name: row.name, body: row.body, agentsOnly: Boolean(Number(row.agents_only)) }
}

export type EventColumns = Pick<LcManualEventRow, 'name' | 'body' | 'agents_only'>

const table = orderedTable<LcManualEventRow, EventColumns>('lc_manual_events')
/** Every event in the administrator's order; a new one goes last. */
export const { all: events, one: event, insert: insertEvent, update: updateEvent, remove: deleteEvent } = table
