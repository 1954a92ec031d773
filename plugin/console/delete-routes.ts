import type { FastifyPluginAsync } from 'fastify'
import { chatParams } from '../chats/schemas.ts'
import type { ChatService, DeletionOutcome } from '../chats/service.ts'
import type { Chat } from '../chats/types.ts'
import { targets } from '../realtime/targets.ts'
import type { Access } from '../security/access.ts'
import { csrfOnlyBody } from '../security/schemas.ts'
import type { Settings } from '../settings.ts'
import { answer, notice } from '../web/answers.ts'
import { bulkFormFragment, outcomeStatus, resultsFragment, tickedIds } from '../web/lists/toolbar.ts'
import { chatLabel, deleteConfirmFragment, type ListViews } from './list-view-models.ts'
import { listDeleteBody, type ListDeleteBody, listUndeleteBody, type ListUndeleteBody } from './lists-schemas.ts'
import { chatPaneFragment, type ConsoleViews, deletedPaneFragment } from './view-models.ts'

/** What deleting and undeleting chats use. */
export interface DeleteRoutesDeps {
  base: string
  access: Pick<Access, 'agent'>
  chats: Pick<ChatService, 'deleteChats' | 'undeleteChats' | 'checkDeleteChats' | 'deletedChatForAgent'>
  listViews: Pick<ListViews, 'bulkForm' | 'staleFragment'>
  consoleViews: Pick<ConsoleViews, 'deletedPane' | 'pane' | 'listFragments'>
  settings: Pick<Settings, 'purgeAfterDays'>
}

type IdParams = { Params: { id: number } }

const messages = {
  noChats: 'Tick at least one chat in the list first',
  deleted: (c: Chat) => `Chat #${c.id} with ${c.customerName} deleted; it waits in Deleted Items, where it can be undeleted`,
  restored: (c: Chat) => `Chat #${c.id} with ${c.customerName} is back from Deleted Items`,
  deletedHint: 'Deleted chats wait in Deleted Items, where they can be undeleted until they are purged.'
}

/** Nothing was done: the answer's status is the refusals' own when they agree (all 403, say), else 409. */
function statusOf (outcomes: DeletionOutcome[]): number {
  return outcomeStatus(outcomes.map((o) => ({ done: o.outcome === 'done' || o.outcome === 'allowed', statusCode: o.error?.statusCode })))
}

/** What Delete or Undelete selected did, chat by chat, in the list's outcome area. */
function results (verb: 'deleted' | 'undeleted', outcomes: DeletionOutcome[], hint: string | null) {
  const done = outcomes.filter((o) => o.outcome === 'done').length
  return resultsFragment({
    target: targets.listResults(),
    verb,
    results: outcomes.map((o) => ({ label: chatLabel(o.id, o.name), href: null, ok: o.outcome === 'done', reason: o.error?.message })),
    done,
    failed: outcomes.length - done,
    hint: done > 0 ? hint : null
  })
}

/**
 * Delete, Deleted Items and Undelete (docs/features.md#deleting-chats): the chat header's
 * Delete, the completed lists' Delete selected (confirmed first, naming how many), Deleted
 * Items' Undelete selected, and a deleted chat's read-only view with its own Undelete. The
 * rule is mayDelete's (plugin/chats/types.ts), applied by the chat service.
 */
export const deleteRoutes: FastifyPluginAsync<DeleteRoutesDeps> = async (fastify, { base, access, chats, listViews, consoleViews, settings }) => {
  /** A request about one chat: its refusal is the answer's error (404 not found, 403 not theirs, 409 open or lost). */
  function only (outcome: DeletionOutcome): Chat {
    if (outcome.outcome === 'done' && outcome.chat) return outcome.chat
    throw outcome.error ?? new Error(`chat ${outcome.id}: ${outcome.outcome} without a reason`)
  }

  // Delete in the chat header (confirmed in the browser by hx-confirm): the pane becomes
  // the deleted chat, with Undelete at hand, wherever it was (the console, its own view).
  fastify.post<IdParams>('/console/chats/:id/delete', {
    schema: { params: chatParams, body: csrfOnlyBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const chat = only((await chats.deleteChats([request.params.id], scope))[0]!)
    return await answer(reply, [
      deletedPaneFragment(await consoleViews.deletedPane(chat, scope.name, scope)),
      ...await consoleViews.listFragments(scope),
      notice('info', messages.deleted(chat))
    ])
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
    return await answer(reply, [
      chatPaneFragment(await consoleViews.pane(chat, scope)),
      ...await consoleViews.listFragments(scope),
      notice('info', messages.restored(chat))
    ])
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
    const ids = tickedIds(body.chat_ids)
    if (ids.length === 0) return await answer(reply, [bulkFormFragment(listViews.bulkForm('delete', messages.noChats))], 422)
    if (body.confirm !== 'yes') {
      const checked = await chats.checkDeleteChats(ids, scope)
      const ready = checked.filter((o) => o.outcome === 'allowed').map((o) => ({ id: o.id, name: o.name }))
      const refused = checked.filter((o) => o.outcome !== 'allowed').map((o) => ({ id: o.id, name: o.name, reason: o.error?.message }))
      return await answer(reply, [
        bulkFormFragment(listViews.bulkForm('delete')),
        deleteConfirmFragment({ base, count: ready.length, ready, refused, purgeAfterDays: settings.purgeAfterDays })
      ], statusOf(checked))
    }
    const outcomes = await chats.deleteChats(ids, scope)
    return await answer(reply, [
      bulkFormFragment(listViews.bulkForm('delete')),
      results('deleted', outcomes, messages.deletedHint),
      listViews.staleFragment(),
      ...await consoleViews.listFragments(scope)
    ], statusOf(outcomes))
  })

  // Undelete selected, in Deleted Items: nothing is lost by it, so it is not confirmed.
  fastify.post<{ Body: ListUndeleteBody }>('/console/lists/undelete', {
    schema: { body: listUndeleteBody },
    preValidation: fastify.csrfProtection
  }, async (request, reply) => {
    const agent = await access.agent(request)
    const scope = await agent.scope()
    const ids = tickedIds((request.body ?? {}).chat_ids)
    if (ids.length === 0) return await answer(reply, [bulkFormFragment(listViews.bulkForm('undelete', messages.noChats))], 422)
    const outcomes = await chats.undeleteChats(ids, scope)
    return await answer(reply, [
      bulkFormFragment(listViews.bulkForm('undelete')),
      results('undeleted', outcomes, null),
      listViews.staleFragment(),
      ...await consoleViews.listFragments(scope)
    ], statusOf(outcomes))
  })
}
