import type { FastifyPluginAsync } from 'fastify'
import type { RouteDeps } from '../deps.ts'
import { isCoded } from '../errors.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { listColumns, listUrl, listView, listViews, type ListViews, postedFields } from './lists.ts'
import { listFieldsBody, type ListFieldsBody, listParams, type ListParams, listQuery, type ListQueryString, listTransferBody, type ListTransferBody } from './lists-schemas.ts'

const html = 'text/html; charset=utf-8'

const messages = {
  noChats: 'Tick at least one chat in the list first',
  noGroup: 'Choose the group to transfer the chats to',
  saved: 'Visible fields saved; every list shows them now',
  deletedHint: (days: number) => `Deleted chats are purged for good ${days} days after they were deleted. Open one to read it, or tick chats and Undelete selected to bring them back.`
}

/** The chat lists (docs/features.md#chat-lists): a list page per view, View → Visible Fields and Actions → Transfer selected. */
export const listRoutes: FastifyPluginAsync<RouteDeps & { lists: ListViews }> = async (fastify, deps) => {
  const { base, chats, routing, access, views, consoleViews, lists } = deps

  fastify.get<{ Params: ListParams, Querystring: ListQueryString }>('/console/lists/:view', {
    schema: { params: listParams, querystring: listQuery }
  }, async (request, reply) => {
    const view = listView(request.params.view)
    const agent = await access.agent(request, listViews[view].supervise ? 'livechat.supervise' : 'livechat.agent')
    const scope = await agent.scope()
    const options = await lists.options(scope)
    const state = lists.state(view, request.query, options)
    const table = await lists.table(scope, state, options, agent.can('livechat.transfer'))
    // A search box that could not be searched for: the list unsearched, the reason beside the box.
    const status = state.search ? 422 : 200
    if (request.headers['hx-request']) {
      return reply.code(status).type(html).send(envelope([fragment(targets.list(), 'outerHTML', views.render('console/list-table', table))]))
    }
    const [page, presence, fields] = await Promise.all([consoleViews.page(scope), routing.presence(agent.user.id), lists.fields(agent.user.id)])
    const def = listViews[view]
    // Deleted Items of a supervisor with livechat.delete holds others' chats: narrowing by agent helps there too.
    const global = view.startsWith('global-') || (view === 'deleted' && scope.supervise && scope.delete === true)
    return reply.code(status).lcView('console/list.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      title: listViews[view].title,
      current: view,
      agent: agent.user,
      links: { supervise: agent.can('livechat.supervise'), admin: agent.can('livechat.admin') },
      availability: await consoleViews.availability(presence),
      ...page,
      filters: {
        action: `${base}/console/lists/${view}`,
        sort: state.sort,
        dir: state.dir,
        departments: options.departments.map((d) => ({ ...d, selected: d.id === state.department })),
        groups: options.groups.map((g) => ({ ...g, selected: g.id === state.group })),
        agents: global ? options.agents.map((a) => ({ ...a, selected: a.id === state.agent })) : null,
        narrowed: state.department !== undefined || state.group !== undefined || state.agent !== undefined,
        q: state.search?.typed ?? state.q ?? '',
        searchError: state.search?.error ?? null,
        searched: state.q !== undefined || state.search !== undefined,
        clearSearch: listUrl(base, { ...state, q: undefined })
      },
      fields: lists.fieldsForm(fields),
      transfer: agent.can('livechat.transfer') && def.noTransfer !== true ? await lists.transferForm() : null,
      bulkDelete: def.bulk === 'delete' ? { base } : null,
      bulkUndelete: def.bulk === 'undelete' ? { base } : null,
      hint: view === 'deleted' ? messages.deletedHint(deps.settings.purgeAfterDays) : null,
      table,
      stale: { at: 0 },
      wsBase: `${base}/ws/console?list=${view}`,
      wsUrl: `${base}/ws/console?list=${view}`
    })
  })

  fastify.post<{ Body: ListFieldsBody }>('/console/lists/fields', {
    schema: { body: listFieldsBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const body = (request.body ?? {}) as Record<string, string | undefined>
    const { choice, errors } = postedFields(listColumns, body)
    if (Object.keys(errors).length > 0) {
      const form = lists.fieldsForm(await lists.fields(agent.user.id), body, errors)
      return reply.code(422).type(html).send(envelope([fragment(targets.listFields(), 'outerHTML', views.render('console/list-fields', form))]))
    }
    await lists.saveFields(agent.user.id, choice)
    return reply.type(html).send(envelope([
      fragment(targets.listFields(), 'outerHTML', views.render('console/list-fields', lists.fieldsForm(choice))),
      lists.staleFragment(),
      fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'info', message: messages.saved }))
    ]))
  })

  fastify.post<{ Body: ListTransferBody }>('/console/lists/transfer', {
    schema: { body: listTransferBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request, 'livechat.transfer')
    const scope = await agent.scope()
    const { chat_ids: raw, group_id: groupId = '', agent: to = '', comment = '' } = request.body
    const ids = [...new Set((raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(Number))]
    const values = { groupId, agent: to, comment }
    const refuse = async (message: string) => reply.code(422).type(html).send(envelope([
      fragment(targets.listTransfer(), 'outerHTML', views.render('console/list-transfer', await lists.transferForm(values, message, true)))
    ]))
    if (ids.length === 0) return await refuse(messages.noChats)
    if (groupId === '') return await refuse(messages.noGroup)
    const target = { groupId: Number(groupId), agentId: to === '' || to === 'auto' ? null : to, auto: to === 'auto', comment }
    // One chat after another, each in its own transaction: a chat is either moved whole or
    // left as it was, and the answer says which, and why not.
    const results: Array<{ id: number, name: string | null, ok: boolean, reason?: string, code?: string }> = []
    for (const id of ids) {
      let name: string | null = null
      try {
        name = (await chats.chatForAgent(id, scope)).customerName
        const done = await chats.transferChat(id, scope, target)
        results.push({ id, name: done.customerName, ok: true })
      } catch (err) {
        if (!isCoded(err) || (err.statusCode ?? 500) >= 500) throw err
        results.push({ id, name, ok: false, reason: err.message, code: err.code })
      }
    }
    // Every chat refused for the same reason about the target: that is the form's mistake; nothing changed.
    const first = results[0]!
    const targetError = first.code === 'LC_ERR_GROUP_NOT_FOUND' || first.code === 'LC_ERR_TRANSFER_TARGET'
    if (targetError && results.every((r) => !r.ok && r.reason === first.reason)) return await refuse(first.reason!)
    const moved = results.filter((r) => r.ok).length
    return reply.type(html).send(envelope([
      fragment(targets.listTransfer(), 'outerHTML', views.render('console/list-transfer', await lists.transferForm())),
      fragment(targets.listResults(), 'innerHTML', views.render('console/list-results', { results, moved, failed: results.length - moved })),
      lists.staleFragment(),
      ...await consoleViews.listFragments(scope)
    ]))
  })
}
