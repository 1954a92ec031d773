import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { isCoded, LC_ERR_IM_NOT_FOUND } from '../errors.ts'
import { targets } from '../realtime/targets.ts'
import type { RoutingService } from '../routing/service.ts'
import type { Access, Agent } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import type { Settings } from '../settings.ts'
import { answer, clearNotice, ok } from '../web/answers.ts'
import { attempt } from '../web/forms.ts'
import { answerFields } from '../web/lists/columns.ts'
import { listTableFragment } from '../web/lists/table.ts'
import { bulkFormFragment, outcomeStatus, resultsFragment, tickedIds } from '../web/lists/toolbar.ts'
import { type ImListViews, transcriptsFragment } from './list-view-models.ts'
import { type ImBulkAction, imListViews, type ImListView } from './lists.ts'
import {
  type ImAgentsQuery, imAgentsQuery, type ImBulkBody, imBulkBody, type ImBulkQuery, imBulkQuery, type ImFieldsBody, imFieldsBody,
  type ImInviteBody, imInviteBody, type ImListQuery, imListQuery, type ImMessageBody, imMessageBody, type ImMessagesQuery, imMessagesQuery,
  type ImNewQuery, imNewQuery, type ImParams, imParams, type ImReadBody, imReadBody, type ImStartBody, imStartBody, inviteForm, listOf,
  newImForm, newImRefusals, type NewImFormState
} from './schemas.ts'
import { type ImOutcome, type ImService, imViewer } from './service.ts'
import type { ConversationSummary, ImViewer } from './types.ts'
import {
  agentPickerFragment, agentsTabFragment, composerFragment, composerModel, type ConsoleFrame, headerFragment, headerModel, type ImViews,
  inviteFragment, messagesFragment, newImDialogFragment, newImFormFragment, olderFragment, olderModel, onlineTabFragment, pageOfMessages,
  popupFragment, standing, unreadFragment
} from './view-models.ts'

/** What the instant message pages and the conversation routes use. */
export interface ImRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  routing: Pick<RoutingService, 'presence'>
  im: Pick<ImService, 'agentDirectory' | 'get' | 'join' | 'deleteThreads' | 'undeleteThreads' | 'startThread' | 'transcript' | 'participants' |
    'messages' | 'post' | 'leave' | 'invite' | 'markRead'>
  imViews: ImViews
  imListViews: ImListViews
  consoleViews: ConsoleFrame
  settings: Pick<Settings, 'maxMessageLength' | 'purgeAfterDays'>
}

type IdRoute = { Params: ImParams }

const messages = {
  saved: 'Visible fields saved',
  noneTicked: 'Tick at least one conversation in the list first',
  joined: (c: ConversationSummary) => `You joined the conversation with ${c.title}`,
  left: (c: ConversationSummary) => `You left the conversation with ${c.title}; send a message in it to come back`,
  invited: (names: string) => `Invited ${names}`,
  deletedHint: (days: number) => `Deleted conversations are purged for good ${days} days after they were deleted. Tick them and Undelete selected to bring them back.`,
  unnamed: (id: number) => `Conversation #${id}`
}
/** Refusals a person fixes in the reply box itself, where it comes back with the reason beside the text. */
const bodyErrors = new Set(['LC_ERR_MESSAGE_EMPTY', 'LC_ERR_MESSAGE_TOO_LONG'])

const wantsFragment = (request: FastifyRequest): boolean => request.headers['hx-request'] !== undefined

/**
 * Instant messages between agents (docs/features.md#instant-messages): the
 * list with its views and toolbar, New, a thread's page with its tabs, and the
 * conversation routes chat rooms use too (messages, older messages). Every rule is the
 * service's; these pick the partials.
 */
export const imRoutes: FastifyPluginAsync<ImRoutesDeps> = async (fastify, deps) => {
  const { base, access, im, imViews, imListViews: lists, routing, consoleViews, settings } = deps

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
    return await answer(reply, [unreadFragment(await imViews.unread(agent.user.id))])
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
      unreadFragment(await imViews.unread(agent.user.id))
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

  /** The New form on a page of its own, first or refused (422). */
  async function newPage (reply: FastifyReply, agent: Agent, viewer: ImViewer, state: NewImFormState, status = 200) {
    const [page, form] = await Promise.all([chrome(agent, viewer, 'new'), imViews.newForm(viewer, state)])
    return reply.code(status).lcView('im/new.page.hbs', { base, csrf: reply.generateCsrf(), ...page, form, wsBase: `${base}/ws/console`, wsUrl: `${base}/ws/console` })
  }

  // The New form: in the console's dialog (an htmx request), or as a page of its own (a
  // link followed, from the host's ticket page say).
  fastify.get<{ Querystring: ImNewQuery }>('/console/im/new', { schema: { querystring: imNewQuery } }, async (request, reply) => {
    const { agent, viewer } = await viewerOf(request)
    const modal = wantsFragment(request)
    const state = newImForm.state({ agent_ids: listOf(request.query.agent), related: request.query.related, q: request.query.q, modal })
    if (modal) return await answer(reply, [newImDialogFragment(await imViews.newForm(viewer, state))])
    return await newPage(reply, agent, viewer, state)
  })

  fastify.get<{ Querystring: ImAgentsQuery }>('/console/im/new/agents', { schema: { querystring: imAgentsQuery } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    return await answer(reply, [agentPickerFragment(await imViews.picker(viewer, request.query.q ?? '', listOf(request.query.agent_ids)))])
  })

  fastify.post<{ Body: ImStartBody }>('/console/im', { schema: { body: imStartBody }, preValidation: fastify.csrfProtection }, async (request, reply) => {
    const { agent, viewer } = await viewerOf(request)
    const form = newImForm.read(request.body)
    const started = await attempt(form, async (input) => await im.startThread(viewer, input), newImRefusals)
    if (!started) {
      // The thread was not started: the form again, everything kept, the reason beside its field.
      if (!wantsFragment(request)) return await newPage(reply, agent, viewer, form, 422)
      return await answer(reply, [newImFormFragment(await imViews.newForm(viewer, form)), clearNotice()], 422)
    }
    const url = imViews.threadUrl(started.conversation.id)
    if (!wantsFragment(request)) return await reply.redirect(url, 303)
    return await answer(reply.header('HX-Redirect', url), [clearNotice()])
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
    return await answer(reply, [agentsTabFragment(imViews.agentsTab(c, people))])
  })

  fastify.get<IdRoute>('/console/im/:id/tabs/online', { schema: { params: imParams } }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const c = await im.get(viewer, request.params.id)
    return await answer(reply, [onlineTabFragment(await imViews.onlineTab(viewer, c))])
  })

  // Older messages, when a thread's or room's conversation is scrolled to its top.
  fastify.get<IdRoute & { Querystring: ImMessagesQuery }>('/console/im/:id/messages', {
    schema: { params: imParams, querystring: imMessagesQuery }
  }, async (request, reply) => {
    const { viewer } = await viewerOf(request)
    const id = request.params.id
    const older = await im.messages(viewer, id, { beforeSeq: request.query.before, limit: pageOfMessages })
    return await answer(reply, [messagesFragment(id, older, 'afterbegin'), olderFragment(olderModel(base, id, older[0]))])
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
      if (popup) return await answer(reply, [popupFragment(await imViews.popup(viewer, id, message.seq)), clearNotice()])
      return await answer(reply, [composerFragment(composerModel(base, id, { open: true, maxLength: settings.maxMessageLength })), clearNotice()])
    } catch (err) {
      if (!isCoded(err) || !bodyErrors.has(err.code)) throw err
      // Nothing was stored: the same box again, with the text and the reason (and the same client id, so a fixed resend is stored once).
      const draft = { body: text, error: err.message }
      if (popup) {
        const c = await im.get(viewer, id)
        return await answer(reply, [popupFragment(await imViews.popup(viewer, id, c.lastSeq, draft))], 422)
      }
      return await answer(reply, [composerFragment(composerModel(base, id, { open: true, draft, maxLength: settings.maxMessageLength, clientMsgId: request.body.client_msg_id }))], 422)
    }
  })

  /** What a change of the viewer's standing changes on the thread's page: its header and reply box, and a line saying so. */
  async function standingChanged (reply: FastifyReply, c: ConversationSummary, notice: string) {
    return await answer(reply, [headerFragment(headerModel(base, c)), composerFragment(imViews.composer(c)), ok(notice)])
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
    const form = inviteForm.read(request.body)
    const before = await im.get(viewer, request.params.id)
    const c = await attempt(form, async (ids) => await im.invite(viewer, before.id, ids), { LC_ERR_IM_AGENTS: 'agent_ids' })
    // Nobody ticked, or someone who may not be invited: the ticks again, with the reason.
    if (!c) return await answer(reply, [inviteFragment(await imViews.onlineTab(viewer, before, form))], 422)
    const ids = form.values.agent_ids
    const names = (await im.participants(viewer, c.id)).filter((p) => ids.includes(p.agentId)).map((p) => p.name)
    return await answer(reply, [
      inviteFragment(await imViews.onlineTab(viewer, c)),
      headerFragment(headerModel(base, c)),
      ok(messages.invited(names.join(', ')))
    ])
  })

  // The page showed the conversation up to `seq`: the viewer's badge and list count from there.
  fastify.post<IdRoute & { Body: ImReadBody }>('/console/im/:id/read', {
    schema: { params: imParams, body: imReadBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const { agent, viewer } = await viewerOf(request)
    await im.markRead(viewer, request.params.id, Number(request.body.seq))
    return await answer(reply, [unreadFragment(await imViews.unread(agent.user.id))])
  })
}
