import type { Knex } from 'knex'
import type { AgentScope } from '../chats/types.ts'
import { transact } from '../db/index.ts'
import { LC_ERR_CANNED_NOT_FOUND, LC_ERR_CANNED_SCOPE, LC_ERR_CANNED_SHORTCUT_TAKEN } from '../errors.ts'
import type { RoutingService } from '../routing/service.ts'
import { fieldError, type FormErrors, valid } from '../web/forms.ts'
import { replyForm, toShortcut } from './schemas.ts'
import * as store from './store.ts'
import type { CannedReply } from './store.ts'

export type { CannedReply } from './store.ts'
export { cannedVariables, fillReply, unknownVariable } from './variables.ts'
export type { CannedValues, CannedVariable } from './variables.ts'
export type CannedService = ReturnType<typeof createCannedService>

/** Who is managing replies: administrators manage every scope, supervisors the groups they see. */
export interface CannedManager {
  admin: boolean
  scope: AgentScope
}

export function mayManage (manager: CannedManager, groupId: number | null): boolean {
  if (manager.admin) return true
  if (groupId === null || !manager.scope.supervise) return false
  return manager.scope.visible === 'all' || manager.scope.visible.includes(groupId)
}

/** The groups whose replies an agent may use in chats: those they work and those they see. */
export function usableGroups (scope: AgentScope): number[] | 'all' {
  if (scope.visible === 'all') return 'all'
  return [...new Set([...scope.activeIn, ...scope.visible])]
}

export interface CannedInput {
  title: string
  shortcut: string
  body: string
}

export type CannedField = keyof CannedInput
export type CannedErrors = FormErrors<CannedField>
export type Saved = { reply: CannedReply, errors?: undefined } | { reply?: undefined, errors: CannedErrors }

/**
 * Canned replies (docs/features.md#canned-replies): a library of texts, global or per group,
 * that agents insert into their reply box by /shortcut or from a list.
 */
export function createCannedService ({ db, routing, clock = Date.now }: { db: Knex, routing: RoutingService, clock?: () => number }) {
  async function scopeName (groupId: number | null): Promise<string> {
    if (groupId === null) return 'the global replies'
    return (await routing.groups()).find((g) => g.id === groupId)?.name ?? `group ${groupId}`
  }

  async function scopeLabel (groupId: number | null): Promise<string> {
    if (groupId === null) return 'global canned replies'
    const name = (await routing.groups()).find((g) => g.id === groupId)?.name
    return name ? `${name}'s canned replies` : `canned replies of group ${groupId}`
  }

  /** Refuses a manager who may not manage this scope (a group that does not exist counts as one they may not). */
  async function checkScope (manager: CannedManager, groupId: number | null): Promise<void> {
    const exists = groupId === null || (await routing.groups()).some((g) => g.id === groupId)
    if (!exists || !mayManage(manager, groupId)) throw new LC_ERR_CANNED_SCOPE(await scopeLabel(groupId))
  }

  /**
   * Stores the reply when every field is right and its shortcut is free in its scope, in one
   * transaction that locks the shortcut's index range first (store.byShortcut), so two
   * requests racing for one shortcut never both succeed.
   */
  async function save (groupId: number | null, raw: CannedInput, write: (trx: Knex.Transaction, input: CannedInput) => Promise<number>, exceptId?: number): Promise<Saved> {
    const form = replyForm.read(raw)
    // Read before the transaction: on SQLite its one connection is held until the end.
    const where = await scopeName(groupId)
    const shortcut = toShortcut(form.values.shortcut)
    const taken = (clash: CannedReply | undefined) => clash && clash.id !== exceptId
      ? fieldError(new LC_ERR_CANNED_SHORTCUT_TAKEN(shortcut, clash.title, where))
      : undefined
    if (!valid(form) || !form.input) {
      // The form shows every problem at once, a taken shortcut too.
      const clash = form.errors.shortcut ? undefined : taken(await store.byShortcut(db, groupId, shortcut))
      return { errors: clash ? { ...form.errors, shortcut: clash } : form.errors }
    }
    const input = form.input
    // Up to 8 attempts: racing creates of one shortcut deadlock on MySQL, each loser retries and then sees the winner.
    return await transact(db, async (trx) => {
      const clash = taken(await store.byShortcut(trx, groupId, input.shortcut, true))
      if (clash) return { errors: { shortcut: clash } }
      const id = await write(trx, input)
      return { reply: (await store.get(trx, id))! }
    }, undefined, 8)
  }

  /** A reply this manager may manage; 404 for one of a group they do not see, 403 for a global one they may not change. */
  async function forManager (manager: CannedManager, id: number): Promise<CannedReply> {
    const reply = await store.get(db, id)
    if (!reply || (reply.groupId !== null && !mayManage(manager, reply.groupId))) throw new LC_ERR_CANNED_NOT_FOUND(String(id))
    if (!mayManage(manager, reply.groupId)) throw new LC_ERR_CANNED_SCOPE(await scopeLabel(reply.groupId))
    return reply
  }

  return {
    /** Every reply a manager may manage, global first, then by group. */
    async manageable (manager: CannedManager): Promise<CannedReply[]> {
      const all = await store.list(db, 'all')
      return all.filter((r) => r.groupId === null || mayManage(manager, r.groupId))
    },

    forManager,

    /** Creates a reply in a scope the manager may manage (403 otherwise); field problems come back, nothing stored. */
    async create (manager: CannedManager, groupId: number | null, input: CannedInput): Promise<Saved> {
      await checkScope(manager, groupId)
      return await save(groupId, input, async (trx, clean) => {
        const at = clock()
        return await store.insert(trx, { group_id: groupId, ...clean, created_by: manager.scope.id, created_at: at, updated_at: at })
      })
    },

    /** Changes a reply's title, shortcut and body; its scope stays. */
    async update (manager: CannedManager, id: number, input: CannedInput): Promise<Saved> {
      const reply = await forManager(manager, id)
      return await save(reply.groupId, input, async (trx, clean) => {
        if (await store.update(trx, id, { ...clean, updated_at: clock() }) === 0) throw new LC_ERR_CANNED_NOT_FOUND(String(id))
        return id
      }, id)
    },

    async remove (manager: CannedManager, id: number): Promise<CannedReply> {
      const reply = await forManager(manager, id)
      if (await store.remove(db, id) === 0) throw new LC_ERR_CANNED_NOT_FOUND(String(id))
      return reply
    },

    /**
     * The replies an agent may use, best first for what they typed: shortcuts starting with
     * it, then titles or texts containing it. An empty query lists them all by shortcut.
     */
    async usable (scope: AgentScope, query = '', limit = 50): Promise<CannedReply[]> {
      const all = await store.list(db, usableGroups(scope))
      const q = query.trim().replace(/^\//, '').toLowerCase()
      if (q === '') return all.slice(0, limit)
      const starts = all.filter((r) => r.shortcut.startsWith(q))
      const contains = all.filter((r) => !r.shortcut.startsWith(q) &&
        (r.shortcut.includes(q) || r.title.toLowerCase().includes(q) || r.body.toLowerCase().includes(q)))
      return [...starts, ...contains].slice(0, limit)
    },

    /** For the demo host's seed: true until the first reply exists. */
    isEmpty: async () => await store.isEmpty(db)
  }
}
