import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { RouteDeps } from '../deps.ts'
import { isCoded, LC_ERR_IM_NOT_FOUND } from '../errors.ts'
import { envelope, type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Agent } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import { answer, ok } from '../web/answers.ts'
import { answerFields } from '../web/lists/columns.ts'
import { listTableFragment } from '../web/lists/table.ts'
import { bulkFormFragment, outcomeStatus, resultsFragment, tickedIds } from '../web/lists/toolbar.ts'
import { type ImListViews, transcriptsFragment } from './list-view-models.ts'
import { type ImBulkAction, imListViews, type ImListView } from './lists.ts'
import {
  type ImAgentsQuery, imAgentsQuery, type ImBulkBody, imBulkBody, type ImBulkQuery, imBulkQuery, type ImFieldsBody, imFieldsBody,
  type ImInviteBody, imInviteBody, type ImListQuery, imListQuery, type ImMessageBody, imMessageBody, type ImMessagesQuery, imMessagesQuery,
  type ImNewQuery, imNewQuery, type ImParams, imParams, type ImReadBody, imReadBody, type ImStartBody, imStartBody, listOf
} from './schemas.ts'
import type { ImOutcome } from './service.ts'
import { imViewer } from './service.ts'
import type { ConversationSummary, ImViewer, RelatedKind } from './types.ts'
import {
  composerFragment, composerModel, headerFragment, headerModel, type ImViews, olderModel, pageOfMessages, popupFragment, popupModel,
  standing, threadComposer
} from './view-models.ts'

type IdRoute = { Params: ImParams }
const html = 'text/html; charset=utf-8'

const messages = {
  saved: 'Visible fields saved',
  noneTicked: 'Tick at least one conversation in the list first',
  noAgents: 'Tick at least one agent to invite',
  joined: (c: ConversationSummary) => `You joined the conversation with ${c.title}`,
  left: (c: ConversationSummary) => `You left the conversation with ${c.title}; send a message in it to come back`,
  invited: (names: string) => `Invited ${names}`,
  deletedHint: (days: number) => `Deleted conversations are purged for good ${days} days after they were deleted. Tick them and Undelete selected to bring them back.`,
  unnamed: (id: number) => `Conversation #${id}`
}
/** Refusals a person fixes in the form itself, where the form comes back with the reason beside the field. */
const bodyErrors = new Set(['LC_ERR_MESSAGE_EMPTY', 'LC_ERR_MESSAGE_TOO_LONG'])

const wantsFragment = (request: FastifyRequest): boolean => request.headers['hx-request'] !== undefined

/** `chat:42` or `ticket:INC000042` (already checked by the schema's pattern). */
function relatedOf (raw: string | undefined): { kind: RelatedKind, ref: string } | undefined {
  if (raw === undefined) return undefined
  const at = raw.indexOf(':')
  return { kind: raw.slice(0, at) as RelatedKind, ref: raw.slice(at + 1) }
}

/**
 * Instant messages between agents (docs/features.md#instant-messages): the
 * list with its views and toolbar, New, a thread's page with its tabs, and the
 * conversation routes chat rooms use too (messages, older messages). Every rule is the
 * service's; these pick the partials.
 */
export const imRoutes: FastifyPluginAsync<RouteDeps & { imViews: ImViews, imListViews: ImListViews }> = async (fastify, deps) => {
  const { base, access, views, im, imViews, imListViews: lists, routing, consoleViews, answers, settings } = deps
  const maxLength = settings.maxMessageLength

  async function viewerOf (request: FastifyRequest, permission?: Parameters<typeof access.agent>[1]): Promise<{ agent: Agent, viewer: ImViewer }> {
    const agent = await access.agent(request, permission)
    return { agent, viewer: await imViewer(agent) }
  }

  /** The topbar and left navigation of every instant messages page. */
  async function chrome (agent: Agent, viewer: ImViewer, current: ImListView | 'new' | 'thread', chosen?: string) {
    const [presence, topbar, directory] = await Promise.all([
      routing.presence(agent.user.id),
      imViews.topbar(agent.user.id),
      viewer.supervise ? im.agentDirectory(viewer) : Promise.resolve({ online: [], offline: [] })
    ])
    const agents = [...directory.online, ...directory.offline].sort((a, b) => a.name.localeCompare(b.name)).map((a) => ({ ...a, selected: a.agentId === chosen }))
    return {
      bar: {
        base,
        agent: agent.user,
        links: { supervise: agent.can('livechat.supervise'), admin: agent.can('livechat.admin') },
        availability: await consoleViews.availability(presence),
        topbar
      },
      nav: { base, current, supervise: viewer.supervise, agents }
    }
  }

  async function send (reply: FastifyReply, status: number, parts: Fragment[]): Promise<FastifyReply> {
    return await answers.send(reply, status, parts)
  }

  /** The ticked conversations' titles as this viewer knows them; one it may not see is named by its number only. */
  async function titles (viewer: ImViewer, ids: number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>()
    await Promise.all(ids.map(async (id) => { out.set(id, await im.get(viewer, id).then((c) => c.title, () => messages.unnamed(id))) }))
    return out
  }

  // ---------------------------------------------------------------- the list

  fastify.get<{ Querystring: ImListQuery }>('/console/im', { schema: { querystring: imListQuery } }, async (request, reply) => {
    const view: ImListView = request.query.view ?? (request.query.agent ? 'agent' : 'active')
    // By agent is for supervisors: anyone else is refused, not shown their own.
    const { agent, viewer } = await viewerOf(request, view === 'agent' ? 'livechat.supervise' : 'livechat.agent')
    const state = { view, agent: view === 'agent' && request.query.agent ? request.query.agent : undefined }
    const { table, filters, refused } = await lists.read(viewer, state, request.query.q ?? '')
    // A search that cannot be run: the list unsearched, the reason beside the box.
    const status = refused ? 422 : 200
    if (wantsFragment(request)) return await answer(reply, [listTableFragment(table)], status)
    const [page, fields] = await Promise.all([chrome(agent, viewer, view, state.agent), lists.fields.read(agent.user.id)])
    const chosen = page.nav.agents.find((a) => a.selected)
    return reply.code(status).lcView('im/list.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      title: view === 'agent' && chosen ? `Instant Messages: ${chosen.name}` : `Instant Messages: ${imListViews[view].title}`,
      ...page,
      bulk: imListViews[view].bulk.map((action) => lists.bulkForm(action)),
      fields: lists.fields.form(fields),
      filters,
      hint: view === 'deleted' ? messages.deletedHint(settings.purgeAfterDays) : null,
      table,
      stale: lists.stale(),
      wsBase: `${base}/ws/console`,
      wsUrl: `${base}/ws/console`
    })
  })

  fastify.post<{ Body: ImFieldsBody }>('/console/im/fields', {
    schema: { body: imFieldsBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const result = await lists.fields.submit(agent.user.id, request.body ?? {})
    return await answerFields(reply, result, [lists.staleFragment(), ok(messages.saved)])
  })

  fastify.get('/console/im/unread', async (request, reply) => {
    const agent = await access.agent(request)
    return await send(reply, 200, [await imViews.unreadFragment(agent.user.id)])
  })

  // Transcript in the toolbar: a link per ticked conversation the viewer may see.
  fastify.get<{ Querystring: ImBulkQuery }>('/console/im/transcripts', { schema: { querystring: imBulkQuery } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const ids = tickedIds(request.query.conversation_ids)
    if (ids.length === 0) return await answer(reply, [bulkFormFragment(lists.bulkForm('transcript', messages.noneTicked))], 422)
    const seen = await Promise.all(ids.map(async (id) => await im.get(viewer, id).catch((err: unknown) => {
      if (isCoded(err) && err.code === 'LC_ERR_IM_NOT_FOUND') return null
      throw err
    })))
    const items = seen.filter((c): c is ConversationSummary => c !== null).map((c) => ({ title: c.title, url: `${imViews.threadUrl(c.id)}/transcript` }))
    // None of them is there for this viewer: the same answer as for one missing thread.
    if (items.length === 0) throw new LC_ERR_IM_NOT_FOUND(String(ids[0]))
    return await answer(reply, [bulkFormFragment(lists.bulkForm('transcript')), transcriptsFragment({ items })])
  })

  /** Join, Delete and Undelete selected: each conversation on its own; the answer says which were done, and why not the others. */
  async function bulk (request: FastifyRequest<{ Body: ImBulkBody }>, reply: FastifyReply, what: { action: Exclude<ImBulkAction, 'transcript'>, verb: string, run: (viewer: ImViewer, ids: number[]) => Promise<ImOutcome[]>, hint?: string }) {
    const { agent, viewer } = await viewerOf(request)
    const ids = tickedIds((request.body ?? {}).conversation_ids)
    const form = (error?: string) => bulkFormFragment(lists.bulkForm(what.action, error))
    if (ids.length === 0) return await answer(reply, [form(messages.noneTicked)], 422)
    const named = await titles(viewer, ids)
    const outcomes = await what.run(viewer, ids)
    const done = outcomes.filter((o) => o.ok)
    // One conversation joined from the list opens at once.
    if (what.verb === 'joined' && ids.length === 1 && done.length === 1) {
      reply.header('HX-Redirect', imViews.threadUrl(ids[0]!))
      return await answer(reply, [form()])
    }
    const results = outcomes.map((o) => ({ label: named.get(o.id) ?? messages.unnamed(o.id), href: o.ok ? imViews.threadUrl(o.id) : null, ok: o.ok, reason: o.error?.message }))
    return await answer(reply, [
      form(),
      resultsFragment({
        target: targets.imListResults(), verb: what.verb, results, done: done.length, failed: outcomes.length - done.length, hint: done.length > 0 ? what.hint ?? null : null
      }),
      lists.staleFragment(),
      await imViews.unreadFragment(agent.user.id)
    ], outcomeStatus(outcomes.map((o) => ({ done: o.ok, statusCode: o.error?.statusCode }))))
  }

  /** Joins each conversation on its own, as the outcome list expects. */
  async function joinEach (viewer: ImViewer, ids: number[]): Promise<ImOutcome[]> {
    const out: ImOutcome[] = []
    for (const id of ids) {
      try {
        await im.join(viewer, id)
        out.push({ id, ok: true })
      } catch (err) {
        if (!isCoded(err) || (err.statusCode ?? 500) >= 500) throw err
        out.push({ id, ok: false, error: err })
      }
    }
    return out
  }

  fastify.post<{ Body: ImBulkBody }>('/console/im/join', { schema: { body: imBulkBody }, preValidation: fastify.csrfProtection }, async (request, reply) =>
    await bulk(request, reply, { action: 'join', verb: 'joined', run: joinEach }))

  fastify.post<{ Body: ImBulkBody }>('/console/im/delete', { schema: { body: imBulkBody }, preValidation: fastify.csrfProtection }, async (request, reply) =>
    await bulk(request, reply, { action: 'delete', verb: 'deleted', run: async (viewer, ids) => await im.deleteThreads(viewer, ids), hint: 'Deleted conversations wait in Deleted Items, where they can be undeleted until they are purged.' }))

  fastify.post<{ Body: ImBulkBody }>('/console/im/undelete', { schema: { body: imBulkBody }, preValidation: fastify.csrfProtection }, async (request, reply) =>
    await bulk(request, reply, { action: 'undelete', verb: 'undeleted', run: async (viewer, ids) => await im.undeleteThreads(viewer, ids) }))

  // ---------------------------------------------------------------- New

  // The New form: in the console's dialog (an htmx request), or as a page of its own (a
  // link followed, from the host's ticket page say).
  fastify.get<{ Querystring: ImNewQuery }>('/console/im/new', { schema: { querystring: imNewQuery } }, async (request, reply) => {
    const { agent, viewer } = await viewerOf(request)
    const input = { agentIds: listOf(request.query.agent), related: request.query.related, q: request.query.q }
    if (wantsFragment(request)) {
      const form = await imViews.newForm(viewer, input, {}, true)
      return await send(reply, 200, [fragment(targets.imModal(), 'innerHTML', views.render('im/new', form))])
    }
    const [page, form] = await Promise.all([chrome(agent, viewer, 'new'), imViews.newForm(viewer, input)])
    return reply.lcView('im/new.page.hbs', { base, csrf: reply.generateCsrf(), ...page, form, wsBase: `${base}/ws/console`, wsUrl: `${base}/ws/console` })
  })

  fastify.get<{ Querystring: ImAgentsQuery }>('/console/im/new/agents', { schema: { querystring: imAgentsQuery } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const picker = await imViews.picker(viewer, request.query.q ?? '', listOf(request.query.agent_ids))
    return await send(reply, 200, [fragment(targets.imNewAgents(), 'outerHTML', views.render('im/agents', picker))])
  })

  fastify.post<{ Body: ImStartBody }>('/console/im', { schema: { body: imStartBody }, preValidation: fastify.csrfProtection }, async (request, reply) => {
    const { agent, viewer } = await viewerOf(request)
    const b = request.body
    const input = { agentIds: listOf(b.agent_ids), body: b.body ?? '', related: b.related, q: b.q, clientMsgId: b.client_msg_id }
    const modal = b.modal === '1'
    let started
    try {
      started = await im.startThread(viewer, { agentIds: input.agentIds, body: input.body, clientMsgId: input.clientMsgId, related: relatedOf(b.related) })
    } catch (err) {
      if (!isCoded(err)) throw err
      const errors = err.code === 'LC_ERR_IM_AGENTS'
        ? { agents: err.message }
        : bodyErrors.has(err.code) ? { body: err.message } : err.code === 'LC_ERR_IM_RELATED' ? { related: err.message } : null
      if (!errors) throw err
      // The thread was not started: the form again, everything kept, the reason beside its field.
      const form = await imViews.newForm(viewer, { ...input, related: err.code === 'LC_ERR_IM_RELATED' ? undefined : input.related }, errors, modal)
      if (wantsFragment(request)) return await send(reply, 422, [fragment(targets.imNew(), 'outerHTML', views.render('im/new', form)), answers.clearNotice()])
      const page = await chrome(agent, viewer, 'new')
      return reply.code(422).lcView('im/new.page.hbs', { base, csrf: reply.generateCsrf(), ...page, form, wsBase: `${base}/ws/console`, wsUrl: `${base}/ws/console` })
    }
    const url = imViews.threadUrl(started.conversation.id)
    if (!wantsFragment(request)) return await reply.redirect(url, 303)
    return await reply.header('HX-Redirect', url).type(html).send(envelope([answers.clearNotice()]))
  })

  // ---------------------------------------------------------------- a thread

  fastify.get<IdRoute>('/console/im/:id', { schema: { params: imParams } }, async (request, reply) => {
    const { agent, viewer } = await viewerOf(request)
    const c = await im.get(viewer, request.params.id)
    // A room has its own page, with its own tabs.
    if (c.kind === 'room') return await reply.redirect(`${base}/console/rooms/${c.id}`, 303)
    const conversation = await imViews.conversation(viewer, c)
    const page = await chrome(agent, viewer, 'thread')
    // Inactive (and deleted) threads show the Conversation tab only.
    const tabs = c.status === 'active' && c.deletedAt === null
      ? [
          { id: 'agents', label: 'Active Agents', url: `${imViews.threadUrl(c.id)}/tabs/agents` },
          { id: 'online', label: 'Online Agents', url: `${imViews.threadUrl(c.id)}/tabs/online` }
        ]
      : []
    const lastSeq = conversation.messages.messages.at(-1)?.seq ?? 0
    return reply.lcView('im/thread.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      title: `Instant message: ${c.title}`,
      ...page,
      header: headerModel(base, c),
      tabs,
      conversation,
      readUrl: standing(c).participant ? `${imViews.threadUrl(c.id)}/read` : null,
      wsBase: `${base}/ws/console`,
      wsUrl: `${base}/ws/console?im=${c.id}.${lastSeq}`
    })
  })

  fastify.get<IdRoute>('/console/im/:id/transcript', { schema: { params: imParams } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const text = await im.transcript(viewer, request.params.id)
    return await reply.type('text/plain; charset=utf-8').header('content-disposition', `inline; filename="conversation-${request.params.id}.txt"`).send(text)
  })

  fastify.get<IdRoute>('/console/im/:id/tabs/agents', { schema: { params: imParams } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const [c, people] = await Promise.all([im.get(viewer, request.params.id), im.participants(viewer, request.params.id)])
    return await send(reply, 200, [fragment(targets.imTabPanel(c.id), 'innerHTML', views.render('im/agents-tab', imViews.agentsTab(c, people)))])
  })

  fastify.get<IdRoute>('/console/im/:id/tabs/online', { schema: { params: imParams } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const c = await im.get(viewer, request.params.id)
    return await send(reply, 200, [fragment(targets.imTabPanel(c.id), 'innerHTML', views.render('im/online-tab', await imViews.onlineTab(viewer, c)))])
  })

  // Older messages, when a thread's or room's conversation is scrolled to its top.
  fastify.get<IdRoute & { Querystring: ImMessagesQuery }>('/console/im/:id/messages', {
    schema: { params: imParams, querystring: imMessagesQuery }
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const id = request.params.id
    const older = await im.messages(viewer, id, { beforeSeq: request.query.before, limit: pageOfMessages })
    return await send(reply, 200, [
      fragment(targets.imMessages(id), 'afterbegin', older.map((m) => views.render('im/message', m)).join('')),
      fragment(targets.imOlder(id), 'outerHTML', views.render('im/older', olderModel(base, id, older[0])))
    ])
  })

  // A message in a thread or a room, from its page or a pop-up's Reply. It reaches every
  // page showing the conversation (this one too) over the socket, in order, exactly once.
  fastify.post<IdRoute & { Body: ImMessageBody }>('/console/im/:id/messages', {
    schema: { params: imParams, body: imMessageBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const id = request.params.id
    const text = request.body.body ?? ''
    const popup = request.body.place === 'popup'
    try {
      const message = await im.post(viewer, id, text, request.body.client_msg_id)
      if (popup) return await send(reply, 200, [popupFragment(views, await popupModel(im, base, maxLength, viewer, id, message.seq), 'outerHTML'), answers.clearNotice()])
      return await send(reply, 200, [composerFragment(views, composerModel(base, id, { open: true, maxLength })), answers.clearNotice()])
    } catch (err) {
      if (!isCoded(err) || !bodyErrors.has(err.code)) throw err
      // Nothing was stored: the same box again, with the text and the reason (and the same client id, so a fixed resend is stored once).
      const draft = { body: text, error: err.message }
      if (popup) {
        const c = await im.get(viewer, id)
        return await send(reply, 422, [popupFragment(views, await popupModel(im, base, maxLength, viewer, id, c.lastSeq, draft), 'outerHTML')])
      }
      return await send(reply, 422, [composerFragment(views, composerModel(base, id, { open: true, draft, maxLength, clientMsgId: request.body.client_msg_id }))])
    }
  })

  /** What a change of the viewer's standing changes on the thread's page: its header and reply box, and a line saying so. */
  async function standingChanged (reply: FastifyReply, c: ConversationSummary, notice: string) {
    return await send(reply, 200, [
      headerFragment(views, headerModel(base, c)),
      composerFragment(views, threadComposer(base, c, maxLength)),
      answers.ok(notice)
    ])
  }

  fastify.post<IdRoute>('/console/im/:id/join', { schema: { params: imParams, body: csrfOnlyBody }, preValidation: fastify.csrfProtection }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const c = await im.join(viewer, request.params.id)
    return await standingChanged(reply, c, messages.joined(c))
  })

  fastify.post<IdRoute>('/console/im/:id/leave', { schema: { params: imParams, body: csrfOnlyBody }, preValidation: fastify.csrfProtection }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const c = await im.leave(viewer, request.params.id)
    return await standingChanged(reply, c, messages.left(c))
  })

  fastify.post<IdRoute & { Body: ImInviteBody }>('/console/im/:id/invite', {
    schema: { params: imParams, body: imInviteBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const ids = listOf((request.body ?? {}).agent_ids)
    const before = await im.get(viewer, request.params.id)
    const refuse = async (error: string) => await send(reply, 422, [fragment(targets.imInvite(before.id), 'outerHTML', views.render('im/online-tab', await imViews.onlineTab(viewer, before, error, ids)))])
    if (ids.length === 0) return await refuse(messages.noAgents)
    let c
    try {
      c = await im.invite(viewer, before.id, ids)
    } catch (err) {
      if (isCoded(err) && err.code === 'LC_ERR_IM_AGENTS') return await refuse(err.message)
      throw err
    }
    const names = (await im.participants(viewer, c.id)).filter((p) => ids.includes(p.agentId)).map((p) => p.name)
    return await send(reply, 200, [
      fragment(targets.imInvite(c.id), 'outerHTML', views.render('im/online-tab', await imViews.onlineTab(viewer, c))),
      headerFragment(views, headerModel(base, c)),
      answers.ok(messages.invited(names.join(', ')))
    ])
  })

  // The page showed the conversation up to `seq`: the viewer's badge and list count from there.
  fastify.post<IdRoute & { Body: ImReadBody }>('/console/im/:id/read', {
    schema: { params: imParams, body: imReadBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { agent, viewer } = await viewerOf(request)
    await im.markRead(viewer, request.params.id, Number(request.body.seq))
    return await send(reply, 200, [await imViews.unreadFragment(agent.user.id)])
  })
}
