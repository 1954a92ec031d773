import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { DeletionOutcome } from '../chats/service.ts'
import type { Chat } from '../chats/types.ts'
import type { RouteDeps } from '../deps.ts'
import { envelope, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import type { ListViews } from './lists.ts'
import { listDeleteBody, type ListDeleteBody, listUndeleteBody, type ListUndeleteBody } from './lists-schemas.ts'

type IdParams = { Params: { id: number } }
const html = 'text/html; charset=utf-8'

const messages = {
  noChats: 'Tick at least one chat in the list first',
  deleted: (c: Chat) => `Chat #${c.id} with ${c.customerName} deleted; it waits in Deleted Items, where it can be undeleted`,
  restored: (c: Chat) => `Chat #${c.id} with ${c.customerName} is back from Deleted Items`,
  deletedHint: 'Deleted chats wait in Deleted Items, where they can be undeleted until they are purged.'
}

/** The ticked chats of a list form: one field or many, each id once. */
function idsOf (raw: string | string[] | undefined): number[] {
  return [...new Set((raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(Number))]
}

/** Nothing was done: the answer's status is the refusals' own when they agree (all 403, say), else 409. */
function statusOf (outcomes: DeletionOutcome[]): number {
  if (outcomes.some((o) => o.outcome === 'done' || o.outcome === 'allowed')) return 200
  const codes = new Set(outcomes.map((o) => o.error?.statusCode ?? 409))
  return codes.size === 1 ? [...codes][0]! : 409
}

function rows (outcomes: DeletionOutcome[]) {
  return outcomes.map((o) => ({ id: o.id, name: o.name, ok: o.outcome === 'done', reason: o.error?.message }))
}

/**
 * Delete, Deleted Items and Undelete (docs/features.md#deleting-chats): the chat header's
 * Delete, the completed lists' Delete selected (confirmed first, naming how many), Deleted
 * Items' Undelete selected, and a deleted chat's read-only view with its own Undelete. The
 * rule is mayDelete's (plugin/chats/types.ts), applied by the chat service.
 */
export const deleteRoutes: FastifyPluginAsync<RouteDeps & { lists: ListViews }> = async (fastify, deps) => {
  const { base, chats, access, views, consoleViews, lists, settings } = deps

  /** A request about one chat: its refusal is the answer's error (404 not found, 403 not theirs, 409 open or lost). */
  function only (outcome: DeletionOutcome): Chat {
    if (outcome.outcome === 'done' && outcome.chat) return outcome.chat
    throw outcome.error ?? new Error(`chat ${outcome.id}: ${outcome.outcome} without a reason`)
  }

  const notice = (message: string) => fragment(targets.notice(), 'innerHTML', views.render('common/notice', { level: 'info', message }))

  // Delete in the chat header (confirmed in the browser by hx-confirm): the pane becomes
  // the deleted chat, with Undelete at hand, wherever it was (the console, its own view).
  fastify.post<IdParams>('/console/chats/:id/delete', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chat = only((await chats.deleteChats([request.params.id], scope))[0]!)
    const pane = await consoleViews.deletedPane(chat, scope.name, scope)
    return reply.type(html).send(envelope([
      fragment(targets.chat(chat.id), 'outerHTML', views.render('console/deleted-pane', pane)),
      ...await consoleViews.listFragments(scope),
      notice(messages.deleted(chat))
    ]))
  })

  // A deleted chat opens only from the Deleted Items of someone who may undelete it;
  // for anyone else, and at its usual address, it is not there (404).
  fastify.get<IdParams>('/console/deleted/:id', { schema: { params: chatParams } }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const { chat, deletedBy } = await chats.deletedChatForAgent(request.params.id, scope)
    return reply.lcView('console/deleted.page.hbs', {
      base,
      csrf: reply.generateCsrf(),
      title: `Deleted chat #${chat.id}`,
      pane: await consoleViews.deletedPane(chat, deletedBy, scope)
    })
  })

  // Undelete from the deleted chat's view or pane: the chat's own pane takes its place.
  fastify.post<IdParams>('/console/deleted/:id/undelete', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chat = only((await chats.undeleteChats([request.params.id], scope))[0]!)
    const pane = await consoleViews.pane(chat, scope)
    return reply.type(html).send(envelope([
      fragment(targets.chat(chat.id), 'outerHTML', views.render('console/chat-pane', pane)),
      ...await consoleViews.listFragments(scope),
      notice(messages.restored(chat))
    ]))
  })

  // Delete selected: without `confirm` the answer is the confirmation, naming the chats
  // that will go (and those that cannot, with why); with it, each named chat is deleted
  // on its own and the answer says which were, and why not the others.
  fastify.post<{ Body: ListDeleteBody }>('/console/lists/delete', {
    schema: { body: listDeleteBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const body = request.body ?? {}
    const ids = idsOf(body.chat_ids)
    if (ids.length === 0) {
      return reply.code(422).type(html).send(envelope([
        fragment(targets.listDelete(), 'outerHTML', views.render('console/list-delete', { base, error: messages.noChats }))
      ]))
    }
    if (body.confirm !== 'yes') {
      const checked = await chats.checkDeleteChats(ids, scope)
      const ready = checked.filter((o) => o.outcome === 'allowed').map((o) => ({ id: o.id, name: o.name }))
      const refused = checked.filter((o) => o.outcome !== 'allowed').map((o) => ({ id: o.id, name: o.name, reason: o.error?.message }))
      return reply.code(statusOf(checked)).type(html).send(envelope([
        fragment(targets.listDelete(), 'outerHTML', views.render('console/list-delete', { base })),
        fragment(targets.listResults(), 'innerHTML', views.render('console/list-delete-confirm', { base, count: ready.length, ready, refused, purgeAfterDays: settings.purgeAfterDays }))
      ]))
    }
    const outcomes = await chats.deleteChats(ids, scope)
    const done = outcomes.filter((o) => o.outcome === 'done').length
    return reply.code(statusOf(outcomes)).type(html).send(envelope([
      fragment(targets.listDelete(), 'outerHTML', views.render('console/list-delete', { base })),
      fragment(targets.listResults(), 'innerHTML', views.render('console/deletion-results', {
        verb: 'deleted', results: rows(outcomes), done, failed: outcomes.length - done, hint: done > 0 ? messages.deletedHint : null
      })),
      lists.staleFragment(),
      ...await consoleViews.listFragments(scope)
    ]))
  })

  // Undelete selected, in Deleted Items: nothing is lost by it, so it is not confirmed.
  fastify.post<{ Body: ListUndeleteBody }>('/console/lists/undelete', {
    schema: { body: listUndeleteBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const ids = idsOf((request.body ?? {}).chat_ids)
    if (ids.length === 0) {
      return reply.code(422).type(html).send(envelope([
        fragment(targets.listUndelete(), 'outerHTML', views.render('console/list-undelete', { base, error: messages.noChats }))
      ]))
    }
    const outcomes = await chats.undeleteChats(ids, scope)
    const done = outcomes.filter((o) => o.outcome === 'done').length
    return reply.code(statusOf(outcomes)).type(html).send(envelope([
      fragment(targets.listUndelete(), 'outerHTML', views.render('console/list-undelete', { base })),
      fragment(targets.listResults(), 'innerHTML', views.render('console/deletion-results', {
        verb: 'undeleted', results: rows(outcomes), done, failed: outcomes.length - done, hint: null
      })),
      lists.staleFragment(),
      ...await consoleViews.listFragments(scope)
    ]))
  })
}
