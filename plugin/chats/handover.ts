import { freshReads, transact } from '../db/index.ts'
import { isCoded, LC_ERR_CHAT_NOT_FOUND, LC_ERR_CHAT_STATE_CONFLICT, LC_ERR_GROUP_NOT_FOUND, LC_ERR_NOT_IN_GROUP, LC_ERR_TRANSFER_TARGET } from '../errors.ts'
import { agentActor, type ChatCore, eventTexts, system } from './core.ts'
import { agentMaySee } from './rules.ts'
import type { ChatService } from './service.ts'
import * as store from './store.ts'
import { type AgentScope, type Chat, ChatStatus, type Message, sees } from './types.ts'

/**
 * Who has a chat (docs/design.md §4, §5): an agent accepts it from a queue, round robin assigns
 * it, a supervisor takes it over, an agent transfers it. Every hand-over to an agent
 * first claims their capacity under the lock of their presence row, then moves the chat
 * by a conditional UPDATE, so of racing callers exactly one wins and the others get the
 * 409 that names the winner.
 */
/** Whether an agent may learn what became of a chat: its group's members, and the agent it was transferred to. */
function mayKnow (chat: Chat, scope: AgentScope): boolean {
  return agentMaySee(chat, scope) || sees(scope, chat.groupId) || chat.transferredTo === scope.id
}

export function createHandover (core: ChatCore): Pick<ChatService, 'acceptChat' | 'assignChat' | 'takeChat' | 'transferChat'> {
  const { db, bus, host, routing, clock, append, history, load, lostRace } = core

  async function groupName (groupId: number | null): Promise<string> {
    if (groupId === null) return 'the queue'
    try {
      return (await routing.group(groupId)).name
    } catch {
      return `group ${groupId}`
    }
  }

  /**
   * Gives a queued chat to `agent` in one transaction that first claims the agent's
   * capacity (locking their presence row), then moves the chat if it is still queued.
   * Returns the "joined" event, or undefined when the chat was no longer there to take.
   */
  async function give (chat: Chat, agent: { id: string, name: string }, auto: boolean, supervising = false): Promise<Message | undefined> {
    const at = clock()
    const actor = agentActor(agent)
    await routing.ensurePresence(agent.id)
    return await transact(db, async (trx) => {
      // First, before any other read: the lock orders every claim on this agent.
      await routing.claimCapacity(trx, agent.id, chat.groupId, auto)
      // Given again: whoever let it go unanswered before is no longer kept from it.
      const n = await store.transition(trx, chat.id, [ChatStatus.queued],
        { status: ChatStatus.active, agent_id: agent.id, assigned_at: at, auto_assigned: auto, transferred_to: null, reoffered_from: null },
        // A chat held for a named agent after a transfer is theirs, or a supervisor's to give.
        supervising ? {} : { transferableTo: agent.id })
      if (n === 0) return undefined
      const joined = await append(trx, chat.id, actor, 'event', eventTexts.joined(agent.name), null)
      await history(trx, chat.id, actor, auto ? 'assigned' : 'accepted', chat.transferredAt ? { transferredBy: chat.transferredBy } : undefined)
      return joined!
    }, freshReads(db))
  }

  async function publishGiven (chatId: number, agentId: string, joined: Message): Promise<Chat> {
    const chat = await core.announce(chatId, joined)
    await bus.publish({ type: 'agent.chats', agentId, chatId, fromSeq: joined.seq })
    await bus.publish({ type: 'queue.changed', groupId: chat.groupId, chatId })
    return chat
  }

  async function acceptChat (chatId: number, scope: AgentScope): Promise<{ chat: Chat, joinedSeq: number }> {
    const before = await load(chatId)
    if (before.agentId === scope.id && before.status === ChatStatus.active) return { chat: before, joinedSeq: before.lastSeq }
    // Only someone who could have taken it learns who did (the 409 of a lost race): to anyone
    // outside its group the chat does not exist, as when they open it.
    if (!mayKnow(before, scope)) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
    if (before.status !== ChatStatus.queued) return await lostRace(chatId, 'accepted')
    const supervising = scope.supervise && sees(scope, before.groupId)
    if (before.groupId !== null && !scope.activeIn.includes(before.groupId) && !supervising) throw new LC_ERR_NOT_IN_GROUP(await groupName(before.groupId))
    if (before.transferredTo !== null && before.transferredTo !== scope.id && !supervising) {
      const target = await host.getUser(before.transferredTo)
      throw new LC_ERR_CHAT_STATE_CONFLICT(`waiting for ${target?.name ?? 'another agent'}`, 'accepted by you')
    }
    const joined = await give(before, scope, false, supervising)
    if (!joined) return await lostRace(chatId, 'accepted')
    const chat = await publishGiven(chatId, scope.id, joined)
    return { chat, joinedSeq: joined.seq }
  }

  return {
    acceptChat,

    async assignChat (chatId, agentId) {
      const before = await store.getChatRow(db, chatId)
      if (!before || before.status !== ChatStatus.queued) return 'gone'
      const agent = await host.getUser(agentId)
      let joined: Message | undefined
      try {
        joined = await give(store.toChat(before), { id: agentId, name: agent?.name ?? 'An agent' }, true)
      } catch (err) {
        if (isCoded(err) && err.code === 'LC_ERR_AGENT_AT_LIMIT') return 'full'
        throw err
      }
      if (!joined) return 'gone'
      const chat = await publishGiven(chatId, agentId, joined)
      await bus.publish({ type: 'agent.alert', reason: 'assigned', chatId, agentId, text: `Chat from ${chat.customerName} assigned to you` })
      return 'assigned'
    },

    async takeChat (chatId, scope) {
      const before = await load(chatId)
      if (!scope.supervise || !sees(scope, before.groupId)) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      if (before.status === ChatStatus.queued) return await acceptChat(chatId, scope)
      if (before.status !== ChatStatus.active) throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'taken')
      if (before.agentId === scope.id) return { chat: before, joinedSeq: before.lastSeq }
      const at = clock()
      const from = before.agentId!
      const actor = agentActor(scope)
      await routing.ensurePresence(scope.id)
      const departmentId = await core.departmentOf(before.groupId)
      const event = await transact(db, async (trx) => {
        await routing.claimCapacity(trx, scope.id, before.groupId, false)
        const n = await store.transition(trx, chatId, [ChatStatus.active], { agent_id: scope.id, assigned_at: at, auto_assigned: false, agent_read_seq: before.lastSeq }, { agent_id: from })
        if (n === 0) return undefined
        const event = await append(trx, chatId, actor, 'event', eventTexts.taken(scope.name), null)
        await history(trx, chatId, actor, 'taken', { from })
        await core.audit(trx, scope, 'chat.taken', before, departmentId, { agentId: from }, { agentId: scope.id })
        return event!
      }, freshReads(db))
      if (!event) return await lostRace(chatId, 'taken')
      const chat = await core.announce(chatId, event)
      await bus.publish({ type: 'agent.chats', agentId: from, chatId })
      await bus.publish({ type: 'agent.chats', agentId: scope.id, chatId, fromSeq: event.seq })
      await bus.publish({ type: 'agent.notice', agentId: from, level: 'info', text: `${scope.name} took over the chat with ${chat.customerName}` })
      await core.freed(from, chat)
      return { chat, joinedSeq: event.seq }
    },

    async transferChat (chatId, scope, target) {
      const at = clock()
      const before = await load(chatId)
      if (before.status !== ChatStatus.active) throw new LC_ERR_CHAT_STATE_CONFLICT(before.status, 'transferred')
      if (before.agentId !== scope.id && !(scope.supervise && sees(scope, before.groupId))) throw new LC_ERR_CHAT_NOT_FOUND(String(chatId))
      let group
      try {
        group = await routing.group(target.groupId)
      } catch {
        throw new LC_ERR_GROUP_NOT_FOUND(String(target.groupId))
      }
      if (!group.enabled) throw new LC_ERR_GROUP_NOT_FOUND(group.name)
      let toName = group.name
      if (target.agentId !== null) {
        const member = (await routing.members([group.id])).find((m) => m.agentId === target.agentId)
        const user = await host.getUser(target.agentId)
        if (!member || !user) throw new LC_ERR_TRANSFER_TARGET(`${user?.name ?? 'That agent'} is not a member of ${group.name}; pick someone from the list`)
        if (!member.active) throw new LC_ERR_TRANSFER_TARGET(`${user.name} is inactive in ${group.name} and cannot take chats there; pick an active member or the whole group`)
        if (target.agentId === before.agentId) throw new LC_ERR_TRANSFER_TARGET('The chat is already yours; pick another agent or the whole group')
        toName = user.name
      }
      const actor = agentActor(scope)
      const comment = target.comment.trim().slice(0, 2000)
      const from = before.agentId!
      // Only a supervisor's transfer of someone else's chat is an audited action; an agent passing on their own is routine.
      const departmentId = from !== scope.id ? await core.departmentOf(before.groupId) : null
      const event = await transact(db, async (trx) => {
        // Idle time is not reset: the chat keeps its last_agent_message_at.
        const n = await store.transition(trx, chatId, [ChatStatus.active], {
          status: ChatStatus.queued,
          agent_id: null,
          group_id: group.id,
          transferred_to: target.agentId,
          transferred_by: scope.id,
          transferred_at: at,
          transfer_comment: comment || null,
          queued_at: at,
          auto_assigned: false,
          agent_read_seq: 0
        }, { agent_id: from })
        if (n === 0) return undefined
        const event = await append(trx, chatId, system, 'event', eventTexts.transferred(toName), null, [ChatStatus.queued])
        await history(trx, chatId, actor, 'transferred', { from, toGroup: group.id, toAgent: target.agentId, auto: target.auto, comment })
        if (from !== scope.id) {
          await core.audit(trx, scope, 'chat.transferred', before, departmentId, { agentId: from, groupId: before.groupId }, { groupId: group.id, agentId: target.agentId, comment })
        }
        return event!
      }, freshReads(db))
      if (!event) return await lostRace(chatId, 'transferred')
      const chat = await core.announce(chatId, event)
      await bus.publish({ type: 'agent.chats', agentId: from, chatId })
      await bus.publish({ type: 'queue.changed', groupId: chat.groupId, chatId })
      if (!target.auto) {
        const text = `${scope.name} transferred a chat from ${chat.customerName} to ${target.agentId ? 'you' : group.name}`
        await bus.publish(target.agentId
          ? { type: 'agent.alert', reason: 'transferred', chatId, agentId: target.agentId, text }
          : { type: 'agent.alert', reason: 'transferred', chatId, groupId: group.id, text })
      }
      await core.freed(from, chat)
      await core.changed({ kind: 'queued', chat, auto: target.auto, notTo: from })
      return await load(chatId)
    }
  }
}
