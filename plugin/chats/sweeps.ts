import { freshReads, transact } from '../db/index.ts'
import type { MissedOffer } from '../routing/service.ts'
import { type ChatCore, customerOf, eventTexts, system } from './core.ts'
import { dueItems, wholeOrOneByOne } from './item-batches.ts'
import * as purgeStore from './purge-store.ts'
import type { ChatService, ItemGuard, PurgeStep, QueueTimeoutResult } from './service.ts'
import * as store from './store.ts'
import * as sweepStore from './sweep-store.ts'
import { agentOnlyKinds, type Chat, ChatStatus } from './types.ts'

/** What a guarded step gives back for a chat it did not handle: waiting out its backoff, or failed now. */
const skipped = Symbol('skipped')
/** Open windows whose customers are marked seen in one statement. */
const seenPerStatement = 500

/**
 * One chat's step of a sweep under the job's guard (docs/features.md#failing-items): a chat
 * still waiting out its backoff is passed over, one whose step throws is recorded and
 * passed over, and the sweep goes on. Without a guard (a caller outside the jobs) a failure
 * is thrown as before. A step that returns `skipped` itself has recorded its own failure.
 */
async function guarded<T> (items: ItemGuard | undefined, chatId: number, step: () => Promise<T | typeof skipped>): Promise<T | typeof skipped> {
  if (items && !await items.due(chatId)) return skipped
  let result: T | typeof skipped
  try {
    result = await step()
  } catch (err) {
    if (!items) throw err
    await items.failed(chatId, err)
    return skipped
  }
  if (result !== skipped) await items?.done(chatId)
  return result
}

/** Rolls a re-offer back when the agent answered between the job's read and its UPDATE. */
const answeredMeanwhile = new Error('answered meanwhile')

/**
 * What the scheduled jobs (docs/design.md §7, plugin/jobs) and the customer's windows do to chats:
 * re-offer, customer presence, idle end, queue timeout and the purge. Each change is a
 * conditional UPDATE (or, for the purge, a lock) that repeats the job's read, so of
 * instances running a job at once one changes each chat, and a person's own change in
 * between wins.
 */
export function createSweeps (core: ChatCore): Pick<ChatService, 'reofferUnanswered' | 'customerSeen' | 'markCustomersGone' | 'endIdleChats' |
'timeOutQueuedChats' | 'timeoutTicket' | 'purgeDeleted' | 'pendingWordChats' | 'wordPairs' | 'purgeWords'> {
  const { db, bus, routing, clock, append, history, load } = core

  /** customerSeen for one slice of chats. */
  async function seen (chatIds: number[], opts: { staleAfterMs?: number, leaving?: boolean }): Promise<void> {
    const at = clock()
    // The refresh comes first: once it is committed the customer-gone job can no longer
    // mark the chat, so a mark it made just before is seen and cleared below.
    await sweepStore.touchCustomerSeen(db, chatIds, at, { staleBefore: opts.staleAfterMs === undefined ? undefined : at - opts.staleAfterMs, keepGone: opts.leaving })
    if (opts.leaving) return
    for (const chatId of await sweepStore.goneChatIds(db, chatIds)) {
      const back = await db.transaction(async (trx) => {
        if (await sweepStore.clearCustomerGone(trx, chatId, at) === 0) return undefined
        const chat = await load(chatId, trx)
        const note = await append(trx, chatId, system, 'note', eventTexts.customerBack, null, [ChatStatus.active])
        await history(trx, chatId, customerOf(chat), 'customer_back')
        return note
      })
      if (back) await core.announce(chatId, back)
    }
  }

  return {
    async reofferUnanswered (afterMs, missesBeforeUnavailable) {
      const before = clock() - afterMs
      const out: Array<{ agentId: string, chat: Chat, missed: MissedOffer }> = []
      for (const row of await sweepStore.unansweredAssignments(db, before)) {
        const agentId = row.agent_id!
        const done = await transact(db, async (trx) => {
          // Presence first (the lock order everywhere): the miss is counted, and the agent
          // switched off at the limit, in the same transaction that moves the chat.
          const missed = await routing.missedOffer(trx, agentId, missesBeforeUnavailable)
          // reoffered_from: every instance's drains give the chat to someone else while they can (docs/features.md#re-offer).
          const n = await store.transition(trx, row.id, [ChatStatus.active],
            { status: ChatStatus.queued, agent_id: null, auto_assigned: false, assigned_at: null, agent_read_seq: 0, reoffered_from: agentId },
            { agent_id: agentId, assigned_at: row.assigned_at ?? undefined, unanswered: true })
          // Answered meanwhile: undo the count with the rest.
          if (n === 0) throw answeredMeanwhile
          const event = await append(trx, row.id, system, 'event', eventTexts.reoffered, null, [ChatStatus.queued])
          // Supervisors read in History how many in a row this was, and whether it switched the agent off.
          await history(trx, row.id, system, 'reoffered', {
            agent: agentId, afterMs, ...(missed.counted ? { missed: missed.missed, limit: missesBeforeUnavailable, madeUnavailable: missed.madeUnavailable } : {})
          })
          return { event: event!, missed }
        }).catch((err: unknown) => { if (err === answeredMeanwhile) return undefined; throw err })
        if (!done) continue
        if (done.missed.madeUnavailable) await bus.publish({ type: 'presence.changed', agentId })
        const chat = await core.announce(row.id, done.event)
        await bus.publish({ type: 'agent.chats', agentId, chatId: chat.id })
        await bus.publish({ type: 'queue.changed', groupId: chat.groupId, chatId: chat.id })
        out.push({ agentId, chat, missed: done.missed })
      }
      for (const row of await sweepStore.staleTransfers(db, before)) {
        const n = await store.transition(db, row.id, [ChatStatus.queued], { transferred_to: null }, { transferableTo: row.transferred_to! })
        if (n === 0) continue
        const chat = await load(row.id)
        await bus.publish({ type: 'chat.updated', chat })
        await bus.publish({ type: 'queue.changed', groupId: chat.groupId, chatId: chat.id })
        await bus.publish({ type: 'agent.notice', agentId: row.transferred_to!, level: 'warning', text: `A chat transferred to you from ${chat.customerName} was not accepted in time and went to the whole group` })
        await core.changed({ kind: 'queued', chat })
      }
      // The re-offered chats are the caller's to route (the distributor drains their groups and tells their agents).
      return out
    },

    async customerSeen (chatIds, opts = {}) {
      // Thousands of open windows are refreshed a slice at a time: a statement over all of
      // them would hold SQLite (and the event loop with it) in one piece, and a slice stays
      // well under either database's limit on parameters.
      for (let i = 0; i < chatIds.length; i += seenPerStatement) await seen(chatIds.slice(i, i + seenPerStatement), opts)
    },

    async markCustomersGone (afterMs, items) {
      const at = clock()
      const before = at - afterMs
      let marked = 0
      for (const row of await sweepStore.goneCustomers(db, before)) {
        const chatId = Number(row.id)
        const note = await guarded(items, chatId, async () => {
          const appended = await db.transaction(async (trx) => {
            if (await sweepStore.markCustomerGone(trx, chatId, before, at) === 0) return undefined
            const note = await append(trx, chatId, system, 'note', eventTexts.customerGone, null, [ChatStatus.active])
            await history(trx, chatId, customerOf(store.toChat(row)), 'customer_gone', { afterSeconds: Math.round(afterMs / 1000) })
            return note
          })
          if (appended) await core.announce(chatId, appended)
          return appended
        })
        if (note && note !== skipped) marked++
      }
      return marked
    },

    async endIdleChats (afterMs, stillOurs, items) {
      const at = clock()
      const goneBefore = at - afterMs
      let ended = 0
      for (const row of await sweepStore.idleChats(db, goneBefore)) {
        if (stillOurs && !await stillOurs()) break
        const chatId = Number(row.id)
        // When the customer's window was last known open: they left then.
        const leftMinutes = Math.max(1, Math.round((at - Number(row.customer_seen_at ?? row.created_at)) / 60_000))
        const event = await guarded(items, chatId, async () => {
          const appended = await db.transaction(async (trx) => {
            if (await sweepStore.endIdle(trx, chatId, goneBefore, { status: ChatStatus.ended, ended_at: at, ended_by: 'system' }) === 0) return undefined
            const event = await append(trx, chatId, system, 'event', eventTexts.idleEnded(leftMinutes), null, [ChatStatus.ended])
            await history(trx, chatId, system, 'idle_ended', { leftMinutes, afterMinutes: Math.round(afterMs / 60_000) })
            return event
          })
          if (appended) await core.closed(chatId, appended)
          return appended
        })
        if (event && event !== skipped) ended++
      }
      return ended
    },

    async timeOutQueuedChats (afterMs, offer, stillOurs, items) {
      const at = clock()
      const out: QueueTimeoutResult = { closed: 0, withdrawn: 0, failed: [] }
      for (const row of await sweepStore.queuedSince(db, at - afterMs)) {
        if (stillOurs && !await stillOurs()) break
        const chat = store.toChat(row)
        await guarded(items, chat.id, async () => {
          // The ticket comes first, from everything the customer wrote, so nothing is lost
          // even when they closed the window; a help desk that cannot make it leaves the chat queued.
          const rows = await store.messagesBetween(db, chat.id, 0)
          const text = rows.filter((m) => m.author_kind === 'customer' && m.kind === 'text').map((m) => m.body).join('\n\n')
          const messages = rows.map(store.toMessage).filter((m) => !agentOnlyKinds.has(m.kind))
          let ticket: { ref: string }
          try {
            ticket = await offer.ticketFor(chat, text || chat.question, messages)
          } catch (err) {
            // The run records what went wrong in the help desk, not the sentence a customer would read.
            const cause = (err as { cause?: unknown }).cause
            const reason = cause instanceof Error ? cause : err as Error
            out.failed.push({ chatId: chat.id, error: reason.message, cause: err })
            await items?.failed(chat.id, reason)
            return skipped
          }
          const waitedMinutes = Math.round((at - (chat.queuedAt ?? chat.createdAt)) / 60_000)
          const event = await db.transaction(async (trx) => {
            if (await sweepStore.timeOutQueued(trx, chat.id, row.queued_at!, { status: ChatStatus.cancelled, ended_at: at, ended_by: 'system' }) === 0) return undefined
            const appended = await append(trx, chat.id, system, 'event', eventTexts.timedOut(ticket.ref, chat.customerEmail), null, [ChatStatus.cancelled])
            await history(trx, chat.id, system, 'queue_timed_out', { waitedMinutes, afterMinutes: Math.round(afterMs / 60_000), ticket: ticket.ref })
            return appended
          }).catch(async (err: unknown) => {
            // The chat could not be closed: its ticket goes back, so the retry makes no second one.
            await offer.withdraw(chat, ticket.ref).catch(() => {})
            throw err
          })
          if (!event) {
            // Taken, left or transferred between the ticket and the UPDATE: the ticket goes back.
            try {
              await offer.withdraw(chat, ticket.ref)
              out.withdrawn++
            } catch (err) {
              out.failed.push({ chatId: chat.id, error: `${ticket.ref} could not be withdrawn: ${(err as Error).message}`, cause: err })
            }
            return undefined
          }
          out.closed++
          const closed = await core.announce(chat.id, event)
          await bus.publish({ type: 'queue.changed', groupId: closed.groupId, chatId: closed.id })
          return undefined
        })
      }
      return out
    },

    async timeoutTicket (chat) {
      if (chat.status !== ChatStatus.cancelled || chat.endedBy !== 'system') return null
      const row = (await store.historyOf(db, chat.id)).find((h) => h.action === 'queue_timed_out')
      const data = row?.data ? JSON.parse(row.data) as { ticket?: unknown } : {}
      return typeof data.ticket === 'string' ? data.ticket : null
    },

    async purgeDeleted (deletedBefore, limit, after = 0, items) {
      const candidates = await purgeStore.purgeCandidates(db, deletedBefore, limit, after)
      if (candidates.length === 0) return null
      const step: PurgeStep = { chats: 0, rows: {}, storageNames: [], last: candidates[candidates.length - 1]! }
      const due = await dueItems(candidates, items)
      // READ COMMITTED on MySQL: no gap locks, so a batch never holds up (or deadlocks with) a
      // live chat's message landing next to a purged chat's rows in an index.
      await wholeOrOneByOne(due, async (ids) => {
        const batch = await transact(db, async (trx) => await purgeStore.purgeBatch(trx, ids, deletedBefore), freshReads(db))
        step.chats += batch.chats
        for (const [table, n] of Object.entries(batch.rows)) step.rows[table] = (step.rows[table] ?? 0) + n
        step.storageNames.push(...batch.storageNames)
      }, items)
      return step
    },

    async pendingWordChats (limit) {
      return await purgeStore.pendingWordChats(db, limit)
    },

    async wordPairs (chatIds) {
      return await purgeStore.wordPairs(db, chatIds)
    },

    async purgeWords (chatIds, pairs, last) {
      // READ COMMITTED on MySQL, as the chat batches: only the rows deleted are locked, never the gaps beside them.
      return await transact(db, async (trx) => await purgeStore.purgeWords(trx, chatIds, pairs, last), freshReads(db))
    }
  }
}
