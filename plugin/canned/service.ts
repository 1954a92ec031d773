import type { Knex } from 'knex'
import type { AgentScope } from '../chats/types.ts'
import { transact } from '../db/index.ts'
import {
  type CodedError, LC_ERR_CANNED_NOT_FOUND, LC_ERR_CANNED_SCOPE, LC_ERR_CANNED_SHORTCUT, LC_ERR_CANNED_SHORTCUT_TAKEN,
  LC_ERR_CANNED_VARIABLE, LC_ERR_FORM_INVALID
} from '../errors.ts'
import type { RoutingService } from '../routing/service.ts'
import * as store from './store.ts'
import type { CannedReply } from './store.ts'

export type { CannedReply } from './store.ts'
export type CannedService = ReturnType<typeof createCannedService>

/** The variables a body may hold, written literally as {{customer.name}} and so on. */
export const cannedVariables = ['customer.name', 'customer.email', 'agent.name', 'chat.number'] as const
export type CannedVariable = typeof cannedVariables[number]
export type CannedValues = Record<CannedVariable, string>

export const cannedLimits = { title: 120, shortcut: 40, body: 4000 } as const

const variablePattern = /\{\{\s*([^{}]*?)\s*\}\}/g
const listed = cannedVariables.map((v) => `{{${v}}}`).join(', ')

/**
 * The first thing in a body that is written like a variable but is not one: an unknown
 * `{{name}}`, or a `{{` / `}}` without its other half. Null when the body is fine.
 */
export function unknownVariable (body: string): string | null {
  for (const m of body.matchAll(variablePattern)) {
    if (!(cannedVariables as readonly string[]).includes(m[1]!)) return m[0]
  }
  const rest = body.replace(variablePattern, '')
  const open = rest.indexOf('{{')
  if (open >= 0) return rest.slice(open, open + 30).split(/\s/)[0]!
  const close = rest.indexOf('}}')
  if (close >= 0) return rest.slice(Math.max(0, close - 28), close + 2).split(/\s/).at(-1)!
  return null
}

/**
 * The body with its variables replaced by this chat's values, in one pass: a value that
 * itself looks like a variable (a customer named "{{agent.name}}") stays as it is. Never
 * a template engine: the text goes out escaped like any message.
 */
export function fillReply (body: string, values: CannedValues): string {
  return body.replace(variablePattern, (whole, name: string) => (values as Record<string, string>)[name] ?? whole)
}

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

export type CannedField = 'title' | 'shortcut' | 'body'
export type CannedErrors = Partial<Record<CannedField, { code: string, message: string }>>
export type Saved = { reply: CannedReply, errors?: undefined } | { reply?: undefined, errors: CannedErrors }

const problem = (err: CodedError): { code: string, message: string } => ({ code: err.code, message: err.message })

/** Trimmed, one kind of line break, the shortcut without its slash and in lower case. */
export function normalise (input: CannedInput): CannedInput {
  return {
    title: input.title.trim(),
    shortcut: input.shortcut.trim().replace(/^\//, '').toLowerCase(),
    body: input.body.replace(/\r\n?/g, '\n').trim()
  }
}

/** Every problem of the fields on their own (the shortcut's clash with another reply is checked when saving). */
export function fieldProblems (input: CannedInput): CannedErrors {
  const errors: CannedErrors = {}
  if (input.title === '') errors.title = problem(new LC_ERR_FORM_INVALID('Title is required'))
  else if (input.title.length > cannedLimits.title) errors.title = problem(new LC_ERR_FORM_INVALID(`Title can be at most ${cannedLimits.title} characters; shorten it`))
  if (!/^[a-z0-9-]{1,40}$/.test(input.shortcut)) errors.shortcut = problem(new LC_ERR_CANNED_SHORTCUT())
  if (input.body === '') errors.body = problem(new LC_ERR_FORM_INVALID('Reply text is required'))
  else if (input.body.length > cannedLimits.body) errors.body = problem(new LC_ERR_FORM_INVALID(`Reply text can be at most ${cannedLimits.body} characters (this one has ${input.body.length}); shorten it`))
  else {
    const unknown = unknownVariable(input.body)
    if (unknown !== null) errors.body = problem(new LC_ERR_CANNED_VARIABLE(unknown, listed))
  }
  return errors
}

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
    const input = normalise(raw)
    const errors = fieldProblems(input)
    // Read before the transaction: on SQLite its one connection is held until the end.
    const where = await scopeName(groupId)
    const taken = (clash: CannedReply | undefined) => clash && clash.id !== exceptId
      ? problem(new LC_ERR_CANNED_SHORTCUT_TAKEN(input.shortcut, clash.title, where))
      : undefined
    if (Object.keys(errors).length > 0) {
      // The form shows every problem at once, a taken shortcut too.
      const clash = errors.shortcut ? undefined : taken(await store.byShortcut(db, groupId, input.shortcut))
      return { errors: clash ? { ...errors, shortcut: clash } : errors }
    }
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
