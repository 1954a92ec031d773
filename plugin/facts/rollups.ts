import type { Knex } from 'knex'
import { transact } from '../db/index.ts'
import { rollupsOf } from './figures.ts'
import * as store from './store.ts'

/*
 * The rollups (docs/reports.md#speed): lc_chat_rollups holds, for each UTC day before today,
 * the sums and duration buckets of that day's chats per group and agent. They are folded from
 * lc_chat_facts a whole day at a time, by the reader who needs them, rather than written in each
 * chat's transaction: a chat's change then costs one column more on the row it already writes
 * (changed_at), and never a lock on a row every chat of the hour shares.
 */

export const dayMs = 86_400_000

/**
 * How far back a fold looks again: a fact stamped just before a fold began may commit after the
 * fold read, so each fold takes the changes from this long before the last one began. Chat
 * transactions last well under it, and instances' clocks agree to within it.
 */
export const foldMarginMs = 120_000

export const dayOf = (at: number): number => at - (((at % dayMs) + dayMs) % dayMs)

async function refold (trx: Knex.Transaction, dayAt: number): Promise<void> {
  const facts = await store.factsIn(trx, { from: dayAt, to: dayAt + dayMs, groupIds: null, agentId: null })
  await store.replaceRollups(trx, dayAt, rollupsOf(dayAt, facts))
}

/**
 * Brings the rollups up to date at `now`: the days before today that had a fact changed since the
 * last fold, and the days that ended since. Returns the UTC midnight before which every day is
 * folded. Two folds never run at once: each holds the state row's lock.
 */
export async function foldRollups (db: Knex, now: number): Promise<number> {
  const today = dayOf(now)
  const seen = await store.rollupState(db)
  if (seen.foldedTo !== null && seen.foldedTo >= today && seen.foldedAt !== null &&
    (await store.changedDays(db, seen.foldedAt - foldMarginMs, seen.foldedTo, true)).length === 0) return seen.foldedTo
  return await transact(db, async (trx) => {
    const state = await store.lockRollupState(trx)
    if (state.foldedTo === null || state.foldedAt === null) return await rebuildIn(trx, now)
    const days = new Set(await store.changedDays(trx, state.foldedAt - foldMarginMs, state.foldedTo))
    for (const d of await store.daysWithFacts(trx, state.foldedTo, today)) days.add(d)
    for (const d of [...days].sort((a, b) => a - b)) await refold(trx, d)
    const foldedTo = Math.max(state.foldedTo, today)
    await store.setRollupState(trx, { foldedTo, foldedAt: now })
    return foldedTo
  })
}

async function rebuildIn (trx: Knex.Transaction, now: number): Promise<number> {
  const today = dayOf(now)
  await trx('lc_chat_rollups').delete()
  for (const d of (await store.daysWithFacts(trx, 0, today)).sort((a, b) => a - b)) await refold(trx, d)
  await store.setRollupState(trx, { foldedTo: today, foldedAt: now })
  return today
}

/** Every day's rollups again from the facts (the backfill, and after facts were written in bulk). */
export async function rebuildRollups (db: Knex, now: number): Promise<void> {
  await transact(db, async (trx) => {
    await store.lockRollupState(trx)
    await rebuildIn(trx, now)
  })
}
