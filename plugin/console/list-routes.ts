import type { FastifyPluginAsync } from 'fastify'
import type { ChatService } from '../chats/service.ts'
import { isCoded } from '../errors.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Access } from '../security/access.ts'
import type { Settings } from '../settings.ts'
import { answer, notice } from '../web/answers.ts'
import { answerFields } from '../web/lists/columns.ts'
import { listTableFragment } from '../web/lists/table.ts'
import { tickedIds } from '../web/lists/toolbar.ts'
import { chatLists, listView } from './lists.ts'
import { listFieldsBody, type ListFieldsBody, listParams, type ListParams, listQuery, type ListQueryString, listTransferBody, type ListTransferBody } from './lists-schemas.ts'
import { type ListViews, transferFormFragment, transferResultsFragment, type TransferResultsModel } from './list-view-models.ts'
import type { ConsoleViews } from './view-models.ts'

/** What the chat lists' endpoints use. */
export interface ListRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  chats: Pick<ChatService, 'chatForAgent' | 'transferChat'>
  routing: Pick<RoutingService, 'presence'>
  listViews: ListViews
  consoleViews: Pick<ConsoleViews, 'page' | 'availability' | 'listFragments'>
  settings: Pick<Settings, 'purgeAfterDays'>
}

const messages = {
  noChats: 'Tick at least one chat in the list first',
  noGroup: 'Choose the group to transfer the chats to',
  saved: 'Visible fields saved; every list shows them now',
  deletedHint: (days: number) => `Deleted chats are purged for good ${days} days after they were deleted. Open one to read it, or tick chats and Undelete selected to bring them back.`
}

/** The chat lists (docs/features.md#chat-lists): a list page per view, View → Visible Fields and Actions → Transfer selected. */
export const listRoutes: FastifyPluginAsync<ListRoutesDeps> = async (fastify, { base, access, chats, routing, listViews, consoleViews, settings }) => {
  fastify.get<{ Params: ListParams, Querystring: ListQueryString }>('/console/lists/:view', {
    schema: { params: listParams, querystring: listQuery }
  }, async (request, reply) => {
    const view = listView(request.params.view)
    const def = chatLists[view]
    const agent = await access.agent(request, def.supervise ? 'livechat.supervise' : 'livechat.agent')
    const scope = await agent.scope()
    const options = await listViews.options(scope)
    const state = listViews.state(view, request.query, options)
    const table = await listViews.table(scope, state, options, agent.can('livechat.transfer'))
    // A search box that could not be searched for: the list unsearched, the reason beside the box.
    const status = state.search ? 422 : 200
    if (request.headers['hx-request']) return await answer(reply, [listTableFragment(table)], status)
    const [page, presence, fields] = await Promise.all([consoleViews.page(scope), routing.presence(agent.user.id), listViews.fields.read(agent.user.id)])
    return reply.code(status).lcView('console/list.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      title: def.title,
      current: view,
      agent: agent.user,
      links: { supervise: agent.can('livechat.supervise'), admin: agent.can('livechat.admin') },
      availability: await consoleViews.availability(presence),
      ...page,
      filters: listViews.filters(scope, state, options),
      fields: listViews.fields.form(fields),
      transfer: agent.can('livechat.transfer') && def.noTransfer !== true ? await listViews.transferForm() : null,
      bulk: def.bulk ? listViews.bulkForm(def.bulk) : null,
      hint: view === 'deleted' ? messages.deletedHint(settings.purgeAfterDays) : null,
      table,
      stale: listViews.stale(),
      wsBase: `${base}/ws/console?list=${view}`,
      wsUrl: `${base}/ws/console?list=${view}`
    })
  })

  fastify.post<{ Body: ListFieldsBody }>('/console/lists/fields', {
    schema: { body: listFieldsBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const result = await listViews.fields.submit(agent.user.id, request.body ?? {})
    return await answerFields(reply, result, [listViews.staleFragment(), notice('info', messages.saved)])
  })

  fastify.post<{ Body: ListTransferBody }>('/console/lists/transfer', {
    schema: { body: listTransferBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request, 'livechat.transfer')
    const scope = await agent.scope()
    const { chat_ids: raw, group_id: groupId = '', agent: to = '', comment = '' } = request.body
    const ids = tickedIds(raw)
    const values = { groupId, agent: to, comment }
    const refuse = async (message: string) => await answer(reply, [transferFormFragment(await listViews.transferForm(values, message, true))], 422)
    if (ids.length === 0) return await refuse(messages.noChats)
    if (groupId === '') return await refuse(messages.noGroup)
    const target = { groupId: Number(groupId), agentId: to === '' || to === 'auto' ? null : to, auto: to === 'auto', comment }
    // One chat after another, each in its own transaction: a chat is either moved whole or
    // left as it was, and the answer says which, and why not.
    const results: Array<TransferResultsModel['results'][number] & { code?: string }> = []
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
    return await answer(reply, [
      transferFormFragment(await listViews.transferForm()),
      transferResultsFragment({ results, moved, failed: results.length - moved }),
      listViews.staleFragment(),
      ...await consoleViews.listFragments(scope)
    ])
  })
}
