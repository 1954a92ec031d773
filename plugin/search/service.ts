import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { type AgentScope, ChatStatus, queueGroups, sees } from '../chats/types.ts'
import { searchWords } from '../db/fulltext.ts'
import {
  type CodedError, LC_ERR_SEARCH_AGENT, LC_ERR_SEARCH_CHAT_NUMBER, LC_ERR_SEARCH_DATE, LC_ERR_SEARCH_DATE_RANGE, LC_ERR_SEARCH_FIELD,
  LC_ERR_SEARCH_FIELD_VALUE, LC_ERR_SEARCH_GROUP, LC_ERR_SEARCH_MAX, LC_ERR_SEARCH_TEXT, LC_ERR_SEARCH_TEXT_LONG
} from '../errors.ts'
import { checkValue, type CustomField, type FieldService } from '../fields/service.ts'
import type { HostAdapter } from '../host/adapter.ts'
import type { RoutingService } from '../routing/service.ts'
import type { SearchQuery } from './schemas.ts'
import * as store from './store.ts'

export type { SearchHit } from './store.ts'

/** "Max Results": the choices offered, the default, and the most one search returns. */
export const maxResultsChoices = [25, 50, 100, 250, 500] as const
export const defaultMaxResults = 50
export const maxResultsCap = 500
/** A search string longer than this is refused rather than cut: cutting would change what it finds. */
export const maxTextLength = 500
const dayMs = 86_400_000

/** The groups, agents and custom fields one agent may search by. */
export interface SearchOptions {
  /** Groups by department, in the administrators' order. */
  departments: Array<{ name: string, groups: Array<{ id: number, name: string }> }>
  /** "Department / Group" of every group, for the results. */
  groupLabels: Map<number, string>
  /** Agents of those groups, by name. */
  agents: Array<{ id: string, name: string }>
  fields: CustomField[]
}

/** What was typed, field by field, and the reason beside each field that is wrong. */
export interface SearchForm {
  values: Record<string, string>
  errors: Record<string, { code: string, message: string }>
}

export interface Criteria {
  filter: store.SearchFilter
  order: store.SearchOrder
  /** The words of the search string actually searched for (for the page to say so). */
  words: string[]
}

/**
 * What the agent may find, as the query applies it: the rule of chatForAgent (their own
 * chats; every chat of the groups they supervise; chats waiting in the queues they work),
 * and for "deleted only" the rule of Deleted Items (mayDelete: their own, and with
 * livechat.delete every chat of the groups they supervise). Administrators see every group.
 */
export function searchVisibility (scope: AgentScope, deleted: boolean): store.Visibility {
  if (deleted) return { agentId: scope.id, groups: scope.delete === true && scope.supervise ? scope.visible : null, queues: null }
  return { agentId: scope.id, groups: scope.supervise ? scope.visible : null, queues: queueGroups(scope) }
}

/** A calendar day typed as YYYY-MM-DD, as the epoch ms its UTC day starts at; null when it is not one. */
export function parseDay (typed: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(typed)
  if (!m) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const at = Date.UTC(y, mo - 1, d)
  const back = new Date(at)
  if (y < 1970 || back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null
  return at
}

/** A chat number as people write it: 1042 or #1042. */
export function parseChatNumber (typed: string): number | null {
  const m = /^#?\s*(\d{1,10})$/.exec(typed)
  const n = m ? Number(m[1]) : NaN
  return n >= 1 && n <= 2147483647 ? n : null
}

/** The search string's refusal, if any: too long, or nothing in it worth searching for. */
function textProblem (text: string): CodedError | null {
  if (text.length > maxTextLength) return new LC_ERR_SEARCH_TEXT_LONG(String(maxTextLength), text.length.toLocaleString('en'))
  if (searchWords(store.fullTextInput(text)).length === 0) return new LC_ERR_SEARCH_TEXT()
  return null
}

/**
 * Reads Advanced Search's query string against what the agent may search by: the
 * criteria, or every problem beside its field (and then nothing is searched). Every
 * field is kept as typed for the form.
 */
export function readCriteria (query: SearchQuery, options: SearchOptions): { form: SearchForm, criteria?: Criteria } {
  const values: Record<string, string> = {}
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string') values[k] = v
  const errors: SearchForm['errors'] = {}
  const refuse = (field: string, err: CodedError): void => { errors[field] ??= { code: err.code, message: err.message } }
  const typed = (key: string): string => (values[key] ?? '').trim()
  const filter: store.SearchFilter = { deleted: query.in === 'deleted' }

  const number = typed('number')
  if (number !== '') {
    const n = parseChatNumber(number)
    if (n === null) refuse('number', new LC_ERR_SEARCH_CHAT_NUMBER())
    else filter.chatId = n
  }
  const text = typed('q')
  let words: string[] = []
  if (text !== '') {
    const problem = textProblem(text)
    if (problem) refuse('q', problem)
    else {
      filter.text = text
      words = searchWords(store.fullTextInput(text))
    }
  }
  if (typed('email') !== '') filter.email = typed('email')
  if (typed('name') !== '') filter.name = typed('name')
  if (typed('username') !== '') filter.username = typed('username')

  const day = (key: 'from' | 'to', label: string): number | undefined => {
    if (typed(key) === '') return undefined
    const at = parseDay(typed(key))
    if (at === null) { refuse(key, new LC_ERR_SEARCH_DATE(label, typed(key).slice(0, 40))); return undefined }
    return at
  }
  const from = day('from', 'From')
  const to = day('to', 'To')
  if (from !== undefined && to !== undefined && to < from) refuse('to', new LC_ERR_SEARCH_DATE_RANGE(typed('to'), typed('from')))
  if (from !== undefined) filter.from = from
  // The whole of the last day: up to the next day's start.
  if (to !== undefined) filter.until = to + dayMs

  const group = typed('group')
  if (group !== '') {
    const id = /^\d{1,10}$/.test(group) ? Number(group) : NaN
    if (!options.departments.some((d) => d.groups.some((g) => g.id === id))) refuse('group', new LC_ERR_SEARCH_GROUP(group.slice(0, 40)))
    else filter.groupId = id
  }
  const agent = typed('agent')
  if (agent !== '') {
    if (!options.agents.some((a) => a.id === agent)) refuse('agent', new LC_ERR_SEARCH_AGENT(agent.slice(0, 64)))
    else filter.agentId = agent
  }
  if (query.status) filter.status = query.status

  const max = typed('max')
  let limit = defaultMaxResults
  if (max !== '') {
    limit = /^\d{1,6}$/.test(max) ? Number(max) : NaN
    if (!(limit >= 1 && limit <= maxResultsCap)) refuse('max', new LC_ERR_SEARCH_MAX(String(maxResultsCap)))
  }

  // Custom fields: text fields match what they hold, the others their value.
  const byKey = new Map(options.fields.map((f) => [f.key, f]))
  const fieldCriteria: store.FieldCriterion[] = []
  for (const key of Object.keys(values).filter((k) => k.startsWith('cf_'))) {
    const value = typed(key)
    if (value === '') continue
    const field = byKey.get(key.slice(3))
    if (!field) { refuse('fields', new LC_ERR_SEARCH_FIELD(key.slice(3))); continue }
    if (field.type === 'text') { fieldCriteria.push({ fieldId: field.id, match: 'contains', value }); continue }
    const checked = checkValue(field, value, false)
    if ('error' in checked) refuse(key, new LC_ERR_SEARCH_FIELD_VALUE(checked.error))
    else if (checked.value !== null) fieldCriteria.push({ fieldId: field.id, match: 'equals', value: checked.value })
  }
  if (fieldCriteria.length > 0) filter.fields = fieldCriteria

  const form = { values, errors }
  if (Object.keys(errors).length > 0) return { form }
  const sort = query.sort ?? 'best'
  return { form, criteria: { filter, order: { by: sort === 'best' ? 'relevance' : sort, limit }, words } }
}

/**
 * Why the search box of a list cannot search for `typed`, or null: a chat number alone
 * (#42) is fine, since the box also finds chats by number.
 */
export function listSearchProblem (typed: string): CodedError | null {
  const text = typed.trim()
  const problem = textProblem(text)
  if (problem && (parseChatNumber(text) === null || problem.code === 'LC_ERR_SEARCH_TEXT_LONG')) return problem
  return null
}

export interface SearchServiceDeps {
  db: Knex
  /** The words of new messages are written a moment after them (chats/due-words.ts): a search has them written first. */
  chats: Pick<ChatService, 'wordsWritten'>
  routing: Pick<RoutingService, 'groups' | 'members'>
  fields: Pick<FieldService, 'list'>
  host: Pick<HostAdapter, 'getUser'>
}

/** What Advanced Search found, with what the page needs to show the form again and name the rows. */
export interface AdvancedSearch {
  options: SearchOptions
  form: SearchForm
  /** Undefined when the form came back with problems: nothing was searched. */
  criteria?: Criteria
  hits?: store.SearchHit[]
  /** More chats match than were asked for. */
  more: boolean
  agentNames: Map<string, string>
}

/**
 * Finding chats (docs/features.md#advanced-search): Advanced Search with every general
 * criterion and the custom fields, and the search box of the console's lists. Only chats
 * the agent may see are found; deleted ones only when asked for, and then only those of
 * their Deleted Items.
 */
export interface SearchService {
  /** The groups (by department), their agents and the custom fields this agent may search by. */
  options (scope: AgentScope): Promise<SearchOptions>
  /**
   * Advanced Search: the query string read against what the agent may search by, then (only when nothing is wrong) the
   * chats found, one more than asked for so the page can say there are more.
   */
  advanced (query: SearchQuery, scope: AgentScope): Promise<AdvancedSearch>
  /** The search alone, with criteria already read: the chats found, at most `criteria.order.limit`. */
  find (criteria: Criteria, scope: AgentScope): Promise<store.SearchHit[]>
  /**
   * The search box of a chat list (docs/features.md#basic-search): a subquery of the ids of chats holding every word
   * typed in some section, or with that number, for the list to add to its own filters, sort and permissions. Throws
   * LC_ERR_SEARCH_TEXT(_LONG) when what was typed cannot be searched for. Wrapped: a query builder is a thenable, which
   * a promise would run.
   */
  listMatches (typed: string): Promise<{ matching: Knex.QueryBuilder }>
  /** Why the list's search box cannot search for `typed`, or null (a chat number alone, #42, is fine). */
  listSearchProblem (typed: string): CodedError | null
}

export function createSearchService ({ db, chats, routing, fields, host }: SearchServiceDeps): SearchService {
  async function names (ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>()
    await Promise.all([...new Set(ids)].map(async (id) => { out.set(id, (await host.getUser(id))?.name ?? `Agent ${id}`) }))
    return out
  }

  /** The groups the agent may see, by department; their agents; every custom field. */
  async function options (scope: AgentScope): Promise<SearchOptions> {
    const [groups, members, defined] = await Promise.all([routing.groups(), routing.members(), fields.list()])
    const visible = groups.filter((g) => sees(scope, g.id))
    // routing.groups() comes in the departments' order, then by name.
    const byDepartment = new Map<number, SearchOptions['departments'][number]>()
    for (const g of visible) {
      const d = byDepartment.get(g.departmentId) ?? { name: g.departmentName, groups: [] }
      byDepartment.set(g.departmentId, d)
      d.groups.push({ id: g.id, name: g.name })
    }
    const departments = [...byDepartment.values()]
    const ids = new Set(visible.map((g) => g.id))
    const agentIds = [...new Set(members.filter((m) => ids.has(m.groupId)).map((m) => m.agentId))]
    const agentNames = await names(agentIds)
    const agents = agentIds.map((id) => ({ id, name: agentNames.get(id)! })).sort((a, b) => a.name.localeCompare(b.name))
    return { departments, groupLabels: new Map(groups.map((g) => [g.id, `${g.departmentName} / ${g.name}`])), agents, fields: defined }
  }

  return {
    options,

    async advanced (query: SearchQuery, scope: AgentScope): Promise<AdvancedSearch> {
      const opts = await options(scope)
      const { form, criteria } = readCriteria(query, opts)
      if (!criteria) return { options: opts, form, more: false, agentNames: new Map() }
      await chats.wordsWritten()
      const rows = await store.searchChats(db, criteria.filter, searchVisibility(scope, criteria.filter.deleted), { ...criteria.order, limit: criteria.order.limit + 1 })
      const hits = rows.slice(0, criteria.order.limit).map(store.toHit)
      const agentNames = await names(hits.map((h) => h.agentId).filter((id): id is string => id !== null))
      return { options: opts, form, criteria, hits, more: rows.length > criteria.order.limit, agentNames }
    },

    async find (criteria: Criteria, scope: AgentScope): Promise<store.SearchHit[]> {
      await chats.wordsWritten()
      return (await store.searchChats(db, criteria.filter, searchVisibility(scope, criteria.filter.deleted), criteria.order)).map(store.toHit)
    },

    async listMatches (typed: string): Promise<{ matching: Knex.QueryBuilder }> {
      const text = typed.trim()
      const problem = listSearchProblem(text)
      if (problem) throw problem
      await chats.wordsWritten()
      return { matching: store.chatIdsMatching(db, text, parseChatNumber(text) ?? undefined)! }
    },

    listSearchProblem
  }
}

/** Labels of the statuses, as the search form offers them and its results name them. */
export const statusLabels: Record<ChatStatus, string> = {
  queued: 'Waiting in a queue',
  active: 'Active',
  ended: 'Ended',
  abandoned: 'Abandoned',
  cancelled: 'Cancelled'
}
