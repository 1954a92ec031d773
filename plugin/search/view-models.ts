import type { AgentScope } from '../chats/types.ts'
import type { SearchQuery } from './schemas.ts'
import { searchInValues, sortValues, statusValues } from './schemas.ts'
import { defaultMaxResults, maxResultsCap, maxResultsChoices, maxTextLength, type SearchForm, type SearchHit, type SearchOptions, type SearchService, statusLabels } from './service.ts'

const labels = {
  searchIn: { active: 'All but deleted chats', deleted: 'Deleted chats only' } as Record<typeof searchInValues[number], string>,
  sort: { best: 'Best match first', newest: 'Newest first', oldest: 'Oldest first' } as Record<typeof sortValues[number], string>,
  // Deleted chats are found by their own agent, and by those who may delete others'.
  ownDeletedOnly: 'You find only the deleted chats you had yourself',
  nothing: 'No chats match every criterion. Leave some fields empty, or widen the date range.',
  noDeleted: 'No deleted chats match every criterion.'
}

/** "12 messages, a comment, the customer": where the search string was found. */
function foundIn (hit: SearchHit): string {
  const parts: string[] = []
  if (hit.found.messages > 0) parts.push(hit.found.messages === 1 ? 'a message' : `${hit.found.messages} messages`)
  if (hit.found.comments) parts.push('comments')
  if (hit.found.customer) parts.push('the customer\'s details')
  if (hit.found.fields) parts.push('custom fields')
  return parts.join(', ')
}

const short = (text: string, n: number): string => text.length > n ? `${text.slice(0, n - 1).trimEnd()}…` : text

/** The form as typed, with each problem beside its field; lists keep a value that is not on them, so it shows with its problem. */
function formModel (options: SearchOptions, query: SearchQuery, { values, errors }: SearchForm, scope: AgentScope) {
  const v = (key: string): string => values[key] ?? ''
  const field = (key: string) => ({ value: v(key), error: errors[key] ?? null })
  const typedMax = v('max').trim() === '' ? String(defaultMaxResults) : v('max').trim()
  const maxes = maxResultsChoices.map((n) => ({ value: String(n), selected: String(n) === typedMax }))
  if (!maxes.some((m) => m.selected)) maxes.unshift({ value: typedMax, selected: true })
  const typedGroup = v('group').trim()
  const departments = options.departments.map((d) => ({ name: d.name, groups: d.groups.map((g) => ({ ...g, selected: String(g.id) === typedGroup })) }))
  const typedAgent = v('agent').trim()
  const agents = options.agents.map((a) => ({ ...a, selected: a.id === typedAgent }))
  return {
    hasErrors: Object.keys(errors).length > 0,
    searchIn: searchInValues.map((value) => ({ value, label: labels.searchIn[value], selected: (query.in ?? 'active') === value })),
    deletedHint: scope.delete === true && scope.supervise ? null : labels.ownDeletedOnly,
    number: field('number'),
    q: field('q'),
    maxTextLength,
    email: field('email'),
    name: field('name'),
    username: field('username'),
    from: field('from'),
    to: field('to'),
    group: { error: errors.group ?? null, unknown: errors.group ? typedGroup : null, departments },
    agent: { error: errors.agent ?? null, unknown: errors.agent ? typedAgent : null, agents },
    statuses: statusValues.map((value) => ({ value, label: statusLabels[value], selected: query.status === value })),
    sorts: sortValues.map((value) => ({ value, label: labels.sort[value], selected: (query.sort ?? 'best') === value })),
    max: { error: errors.max ?? null, choices: maxes, cap: maxResultsCap },
    fields: options.fields.map((f) => {
      const name = `cf_${f.key}`
      const value = v(name)
      const choices = f.type === 'yesno' ? [{ value: 'yes', label: 'Yes' }, { value: 'no', label: 'No' }] : f.options.map((o) => ({ value: o, label: o }))
      return {
        name,
        label: f.label,
        select: f.type === 'yesno' || f.type === 'choice',
        choices: choices.map((c) => ({ ...c, selected: c.value === value })),
        value,
        error: errors[name] ?? null
      }
    }),
    fieldsError: errors.fields ?? null
  }
}

/** views/search/form.hbs: the form as typed, each problem beside its field. */
export type SearchFormModel = ReturnType<typeof formModel> & { action: string }

/** views/search/results.hbs: the chats found, and how they were looked for. */
export interface SearchResultsModel {
  rows: Array<{
    id: number
    url: string
    createdAt: number
    deletedAt: number | null
    customerName: string
    customerEmail: string
    question: string
    group: string
    agent: string
    status: string
    statusLabel: string
    found: string
  }>
  count: number
  more: boolean
  limit: number
  words: string
  byRelevance: boolean
  showFound: boolean
  deleted: boolean
  empty: string
}

/** Advanced Search's page for a query string: 422 when a field is wrong (nothing was searched), else 200. */
export interface SearchPage {
  status: number
  form: SearchFormModel
  results: SearchResultsModel | null
}

export interface SearchViewsDeps {
  base: string
  search: Pick<SearchService, 'options' | 'advanced'>
}

export type SearchViews = ReturnType<typeof createSearchViews>

/** Advanced Search's page: the form (as typed, with problems beside their fields) and the chats found. */
export function createSearchViews ({ base, search }: SearchViewsDeps) {
  const action = `${base}/console/search`

  return {
    action,

    /** The page's data for a query string; a first visit, with no query, shows the form alone. */
    async page (query: SearchQuery, scope: AgentScope): Promise<SearchPage> {
      if (Object.keys(query).length === 0) return { status: 200, form: { action, ...formModel(await search.options(scope), query, { values: {}, errors: {} }, scope) }, results: null }
      const out = await search.advanced(query, scope)
      const { options } = out
      const form = { action, ...formModel(options, query, out.form, scope) }
      if (!out.hits) return { status: 422, form, results: null }
      const deleted = out.criteria!.filter.deleted
      const rows = out.hits.map((hit) => ({
        id: hit.id,
        url: hit.deletedAt !== null ? `${base}/console/deleted/${hit.id}` : `${base}/console/chats/${hit.id}`,
        createdAt: hit.createdAt,
        deletedAt: hit.deletedAt,
        customerName: hit.customerName,
        customerEmail: hit.customerEmail,
        question: short(hit.question.replace(/\s+/g, ' '), 120),
        group: hit.groupId === null ? 'No group' : options.groupLabels.get(hit.groupId) ?? `Group ${hit.groupId}`,
        agent: hit.agentId === null ? 'Not assigned' : out.agentNames.get(hit.agentId) ?? `Agent ${hit.agentId}`,
        status: hit.status,
        statusLabel: statusLabels[hit.status as keyof typeof statusLabels] ?? hit.status,
        found: foundIn(hit)
      }))
      const words = out.criteria!.words
      return {
        status: 200,
        form,
        results: {
          rows,
          count: rows.length,
          more: out.more,
          limit: out.criteria!.order.limit,
          words: words.join(', '),
          byRelevance: words.length > 0 && out.criteria!.order.by === 'relevance',
          showFound: words.length > 0,
          deleted,
          empty: deleted ? labels.noDeleted : labels.nothing
        }
      }
    }
  }
}
