import t from 'tap'
import { ChatStatus, type Chat, mayDelete } from '../../plugin/chats/types.ts'
import { given, services, type Services } from '../helpers/given.ts'

/*
 * Delete, Deleted Items and Undelete in the chat service (docs/features.md#deleting-chats):
 * the rule, each chat's outcome, the History rows, the events, and deleted chats leaving
 * every other read.
 */

async function endedChat (s: Services, agent = 'alice', group = 'Support L1'): Promise<Chat> {
  const { chat } = await given.activeChat(s, agent, group)
  const a = await s.user(agent)
  return await s.chats.endChat(chat.id, { kind: 'agent', id: a.id, name: a.name })
}

/** The in-process bus hands events over on a later tick. */
const settled = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }
const row = async (s: Services, id: number) => await s.knex('lc_chats').where({ id }).first()
const historyOf = async (s: Services, id: number) => (await s.chats.history(id)).map((h) => `${h.action} ${h.actor_name}`)

t.test('mayDelete: closed chats only; one\'s own, or any one may see with livechat.delete', async (t) => {
  const chat = { id: 1, status: ChatStatus.ended, groupId: 7, agentId: 'a' } as Chat
  const agent = { id: 'a', name: 'A', activeIn: [7], visible: [7], supervise: false }
  const other = { id: 'b', name: 'B', activeIn: [7], visible: [7], supervise: false }
  t.ok(mayDelete(chat, agent), 'own ended chat')
  t.ok(mayDelete({ ...chat, status: ChatStatus.abandoned }, agent))
  t.notOk(mayDelete({ ...chat, status: ChatStatus.active }, agent), 'not while active')
  t.notOk(mayDelete({ ...chat, status: ChatStatus.queued }, agent))
  t.notOk(mayDelete(chat, other), 'another agent\'s')
  t.notOk(mayDelete(chat, { ...other, delete: true }), 'livechat.delete without seeing the chat (not a supervisor)')
  t.notOk(mayDelete(chat, { ...other, supervise: true }), 'a supervisor without livechat.delete')
  t.ok(mayDelete(chat, { ...other, supervise: true, delete: true }), 'a supervisor of the group with livechat.delete')
  t.notOk(mayDelete(chat, { ...other, visible: [8], supervise: true, delete: true }), 'not of a group they do not belong to')
  t.ok(mayDelete({ ...chat, status: ChatStatus.cancelled, agentId: null }, { ...other, visible: 'all', supervise: true, delete: true }), 'a cancelled chat no agent had, by an administrator')
})

t.test('chat service: delete and undelete', async (t) => {
  const s = await services(t)
  const alice = await s.scope('alice')
  const bob = await s.scope('bob')
  const sam = await s.scope('sam')

  t.test('an agent deletes their own ended chat: gone from every read but Deleted Items, with History and events', async (t) => {
    const chat = await endedChat(s)
    const before = await s.chats.customerChats({ userId: null, email: chat.customerEmail })
    await settled()
    s.events.length = 0
    const [outcome] = await s.chats.deleteChats([chat.id], alice)
    t.equal(outcome!.outcome, 'done')
    t.equal(outcome!.name, 'Dana Doyle')
    t.ok(outcome!.chat!.deletedAt, 'the chat as it is now')
    t.ok(Number((await row(s, chat.id)).deleted_at) > 0)
    t.match((await historyOf(s, chat.id)).at(-1), 'deleted Alice Adams')
    await settled()
    t.match(s.events.map((e) => e.type), ['chat.deleted', 'agent.chats'])
    t.match(s.events[0], { type: 'chat.deleted', by: 'Alice Adams', chat: { id: chat.id } })

    await t.rejects(s.chats.get(chat.id), { code: 'LC_ERR_CHAT_NOT_FOUND' })
    await t.rejects(s.chats.chatForAgent(chat.id, alice), { code: 'LC_ERR_CHAT_NOT_FOUND' })
    t.notOk((await s.chats.agentChats(alice.id, 'completed')).some((c) => c.id === chat.id), 'not in My Completed')
    const list = await s.chats.list({ statuses: [ChatStatus.ended], groups: 'all', sort: 'started', dir: 'desc', limit: 50 })
    t.notOk(list.some((c) => c.id === chat.id), 'not in Global Completed')
    const after = await s.chats.customerChats({ userId: null, email: chat.customerEmail })
    t.equal(after.counts.all, before.counts.all - 1, 'not counted in the customer\'s history')
    const deleted = await s.chats.list({ statuses: [ChatStatus.ended], groups: 'all', sort: 'deleted', dir: 'desc', limit: 50, deleted: true })
    t.same(deleted.map((c) => c.id), [chat.id], 'only in Deleted Items')
    t.match(await s.chats.deletedChatForAgent(chat.id, alice), { chat: { id: chat.id }, deletedBy: 'Alice Adams' })
    t.same([...(await s.chats.deletedBy([chat.id]))], [[chat.id, 'Alice Adams']])
  })

  t.test('open chats are refused with their state; nothing changes', async (t) => {
    const { chat: active } = await given.activeChat(s, 'alice')
    const { chat: queued } = await given.queuedChat(s)
    const outcomes = await s.chats.deleteChats([active.id, queued.id], alice)
    t.match(outcomes, [
      { id: active.id, outcome: 'refused', error: { code: 'LC_ERR_DELETE_OPEN_CHAT', statusCode: 409, message: `Chat #${active.id} is still active; only chats that are over (ended, abandoned or cancelled) can be deleted` } },
      { id: queued.id, outcome: 'refused', error: { code: 'LC_ERR_DELETE_OPEN_CHAT', message: /is still waiting in the queue/ } }
    ])
    for (const c of [active, queued]) {
      t.equal((await row(s, c.id)).deleted_at, null)
      t.notOk((await historyOf(s, c.id)).some((h) => h.startsWith('deleted')))
    }
    await s.chats.endChat(active.id, { kind: 'agent', id: alice.id, name: alice.name })
  })

  t.test('another agent\'s chat: not found without seeing it, 403 seeing it without livechat.delete, done with it', async (t) => {
    const chat = await endedChat(s)
    t.match(await s.chats.deleteChats([chat.id], bob), [{ outcome: 'not-found', name: null, error: { code: 'LC_ERR_CHAT_NOT_FOUND', statusCode: 404 } }])
    t.match(await s.chats.deleteChats([chat.id], { ...sam, delete: false }), [{ outcome: 'refused', error: { code: 'LC_ERR_DELETE_NOT_YOURS', statusCode: 403, message: /may delete it$/ } }])
    t.equal((await row(s, chat.id)).deleted_at, null, 'nothing changed')
    t.match(await s.chats.deleteChats([chat.id], sam), [{ outcome: 'done' }])
    t.match((await historyOf(s, chat.id)).at(-1), 'deleted Sam Supervisor')
    // alice finds it in her Deleted Items, as it is her chat.
    t.match(await s.chats.deletedChatForAgent(chat.id, alice), { deletedBy: 'Sam Supervisor' })
    await t.rejects(s.chats.deletedChatForAgent(chat.id, bob), { code: 'LC_ERR_CHAT_NOT_FOUND' })
    await t.rejects(s.chats.deletedChatForAgent(chat.id, { ...sam, delete: false }), { code: 'LC_ERR_CHAT_NOT_FOUND' }, 'not in his Deleted Items without livechat.delete')
  })

  t.test('a cancelled chat (no agent): only a supervisor with livechat.delete may delete it', async (t) => {
    const { chat, token } = await given.queuedChat(s)
    t.ok(token)
    const cancelled = await s.chats.endChat(chat.id, { kind: 'customer', id: null, name: 'Dana Doyle' })
    t.equal(cancelled.status, 'cancelled')
    t.match(await s.chats.deleteChats([chat.id], alice), [{ outcome: 'not-found' }])
    t.match(await s.chats.deleteChats([chat.id], sam), [{ outcome: 'done' }])
  })

  t.test('unknown ids, repeats and already deleted chats, each answered in the order given', async (t) => {
    const chat = await endedChat(s)
    await s.chats.deleteChats([chat.id], sam)
    const other = await endedChat(s)
    const outcomes = await s.chats.deleteChats([999999, chat.id, other.id, other.id], alice)
    t.equal(outcomes.length, 3, 'a repeated id once')
    t.match(outcomes, [
      { id: 999999, outcome: 'not-found', error: { code: 'LC_ERR_CHAT_NOT_FOUND' } },
      { id: chat.id, outcome: 'refused', error: { code: 'LC_ERR_CHAT_ALREADY_DELETED', statusCode: 409, message: `Chat #${chat.id} was already deleted by Sam Supervisor; it is in Deleted Items` } },
      { id: other.id, outcome: 'done' }
    ])
    t.same(await s.chats.deleteChats([], alice), [])
  })

  t.test('checkDeleteChats says what would happen and changes nothing', async (t) => {
    const chat = await endedChat(s)
    const { chat: active } = await given.activeChat(s, 'alice')
    await settled()
    s.events.length = 0
    t.match(await s.chats.checkDeleteChats([chat.id, active.id, 999999], alice), [
      { id: chat.id, outcome: 'allowed', name: 'Dana Doyle' },
      { id: active.id, outcome: 'refused', error: { code: 'LC_ERR_DELETE_OPEN_CHAT' } },
      { id: 999999, outcome: 'not-found' }
    ])
    t.equal((await row(s, chat.id)).deleted_at, null)
    await settled()
    t.same(s.events, [])
    await s.chats.endChat(active.id, { kind: 'agent', id: alice.id, name: alice.name })
  })

  t.test('two deleting at once: one wins, the other is told who did', async (t) => {
    const chat = await endedChat(s)
    const [a, b] = await Promise.all([s.chats.deleteChats([chat.id], alice), s.chats.deleteChats([chat.id], sam)])
    const all = [...a, ...b]
    t.equal(all.filter((o) => o.outcome === 'done').length, 1)
    const loser = all.find((o) => o.outcome !== 'done')!
    const winner = all.find((o) => o.outcome === 'done') === a[0] ? 'Alice Adams' : 'Sam Supervisor'
    t.equal(loser.error!.code, 'LC_ERR_CHAT_ALREADY_DELETED')
    t.match(loser.error!.message, `deleted by ${winner}`)
    t.equal((await historyOf(s, chat.id)).filter((h) => h.startsWith('deleted')).length, 1, 'one History row')
  })

  t.test('undelete: back in the lists with a History row; refused when not deleted, not theirs or unknown', async (t) => {
    const chat = await endedChat(s)
    t.match(await s.chats.undeleteChats([chat.id], alice), [{ outcome: 'refused', error: { code: 'LC_ERR_CHAT_NOT_DELETED', statusCode: 409, message: `Chat #${chat.id} is not in Deleted Items, so there is nothing to undelete; refresh the list` } }])
    await s.chats.deleteChats([chat.id], alice)
    t.match(await s.chats.undeleteChats([chat.id], bob), [{ outcome: 'not-found' }])
    t.match(await s.chats.undeleteChats([chat.id], { ...sam, delete: false }), [{ outcome: 'refused', error: { code: 'LC_ERR_DELETE_NOT_YOURS', statusCode: 403, message: /may undelete it$/ } }])
    t.ok((await row(s, chat.id)).deleted_at, 'still deleted')
    await settled()
    s.events.length = 0
    t.match(await s.chats.undeleteChats([chat.id, 999999], alice), [{ id: chat.id, outcome: 'done', chat: { id: chat.id, deletedAt: null } }, { id: 999999, outcome: 'not-found' }])
    t.equal((await row(s, chat.id)).deleted_at, null)
    await settled()
    t.match(s.events.map((e) => e.type), ['chat.restored', 'agent.chats'])
    t.same((await historyOf(s, chat.id)).slice(-2), ['deleted Alice Adams', 'undeleted Alice Adams'])
    t.equal((await s.chats.get(chat.id)).id, chat.id, 'readable again')
    t.ok((await s.chats.agentChats(alice.id, 'completed')).some((c) => c.id === chat.id), 'back in My Completed')
    await t.rejects(s.chats.deletedChatForAgent(chat.id, alice), { code: 'LC_ERR_CHAT_NOT_FOUND' }, 'no longer in Deleted Items')

    // Restored by someone else first: the late undelete names them.
    await s.chats.deleteChats([chat.id], alice)
    await s.chats.undeleteChats([chat.id], sam)
    t.match(await s.chats.undeleteChats([chat.id], alice), [{ outcome: 'refused', error: { message: `Chat #${chat.id} is not in Deleted Items (Sam Supervisor restored it), so there is nothing to undelete; refresh the list` } }])
  })

  t.test('the Deleted Items read: deleted chats only, of the groups asked for, and one\'s own of any group', async (t) => {
    const l1 = await s.groupId('Support L1')
    const l2 = await s.groupId('Support L2')
    const mine = await endedChat(s)
    const carols = await endedChat(s, 'carol', 'Support L2')
    const kept = await endedChat(s)
    await s.chats.deleteChats([mine.id], alice)
    await s.chats.deleteChats([carols.id], await s.scope('carol'))
    const ids = async (query: Partial<Parameters<Services['chats']['list']>[0]>) =>
      (await s.chats.list({ statuses: [ChatStatus.ended], groups: 'all', sort: 'deleted', dir: 'desc', limit: 500, deleted: true, ...query })).map((c) => c.id)
    const inL1 = await ids({ groups: [l1] })
    t.ok(inL1.includes(mine.id))
    t.notOk(inL1.includes(carols.id), 'not of another group')
    t.notOk(inL1.includes(kept.id), 'not a chat that is not deleted')
    t.ok((await ids({ groups: [l2], orAgentId: alice.id })).includes(mine.id), 'one\'s own chat of another group too')
    t.notOk((await ids({ agentId: alice.id })).includes(carols.id))
  })
})
