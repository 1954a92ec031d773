import t from 'tap'
import { type ChatService, createChatService } from '../../plugin/chats/service.ts'
import { dueWords } from '../../plugin/chats/due-words.ts'
import { groupedMessageStore } from '../../plugin/chats/grouped-store.ts'
import * as store from '../../plugin/chats/store.ts'
import type { Actor } from '../../plugin/chats/types.ts'
import { writeGroups } from '../../plugin/db/grouped.ts'
import { createFieldService } from '../../plugin/fields/service.ts'
import { createSearchService } from '../../plugin/search/service.ts'
import { indexWords } from '../../plugin/db/words.ts'
import { createWebhookOutbox } from '../../plugin/webhooks/outbox.ts'
import { given, services } from '../helpers/given.ts'

/**
 * The words of text messages on SQLite, written a moment after the messages themselves
 * (chats/due-words.ts, docs/design.md §9): marked due in the message's transaction, then
 * written together in the index's order. Whatever the moment, a search finds every message
 * stored, and a stop, a crash or a purge in between leaves no message unfound and no word
 * of a message that is gone. On MySQL/MariaDB the words go with the message: a search
 * finds it at once there too, which is what the first test holds both databases to.
 */
t.test('due words', async (t) => {
  const base = await services(t)
  // With the plugin's outbox: messages go by grouped writes only once it has read that no webhook endpoint wants them.
  const chatService = (): ChatService => createChatService({ db: base.knex, bus: base.bus, host: base.host, routing: base.routing, settings: { maxMessageLength: 10000 }, webhooks: createWebhookOutbox({}) })
  const s = { ...base, chats: chatService() }
  const alice = await s.user('alice')
  await s.routing.setMember(await s.groupId('Support L1'), alice.id, { active: true, maxChats: 100 })
  const customer: Actor = { kind: 'customer', id: null, name: 'Dana Doyle' }
  const wordsOf = async (messageId: number): Promise<string[]> =>
    (await s.knex('lc_message_words').where('message_id', messageId).orderBy('word').select('word')).map((r: { word: string }) => r.word)
  const due = async (): Promise<number[]> =>
    (await s.knex('lc_message_words_due').orderBy('message_id').select('message_id')).map((r: { message_id: number }) => Number(r.message_id))
  const post = async (chatId: number, body: string): Promise<number> => (await s.chats.postMessage(chatId, customer, body, null)).message.id

  t.test('a search asks for what is due first, so it finds a message just stored', async (t) => {
    const chat = (await given.activeChat(s, 'alice')).chat
    const id = await post(chat.id, 'The flux capacitor hums')
    const search = createSearchService({ db: s.knex, chats: s.chats, routing: s.routing, fields: createFieldService({ db: s.knex, chats: s.chats }), host: s.host })
    const found = await (await search.listMatches('capacitor')).matching
    t.same(found.map((r: { chat_id: number }) => Number(r.chat_id)), [chat.id], 'the list\'s search box finds it')
    t.same(await wordsOf(id), ['capacitor', 'flux', 'hums'])
    t.same(await due(), [], 'nothing is left due')
  })

  if (s.dialect !== 'sqlite') return

  t.test('the message\'s transaction only marks it; its words follow within the delay, with no search asking', async (t) => {
    const chat = (await given.activeChat(s, 'alice')).chat
    const ids = [await post(chat.id, 'Quartz oscillator drifting'), await post(chat.id, 'Quartz crystal')]
    t.same(await due(), ids, 'both marked due, in order')
    t.same(await wordsOf(ids[0]!), [], 'no word yet')
    for (let waited = 0; (await due()).length > 0 && waited < 5000; waited += 25) await new Promise((resolve) => setTimeout(resolve, 25))
    t.same(await due(), [], 'a timed flush took them')
    t.same(await wordsOf(ids[0]!), ['drifting', 'oscillator', 'quartz'])
    t.same(await wordsOf(ids[1]!), ['crystal', 'quartz'])
  })

  t.test('what a stop left due is written by the next start\'s first flush; a message gone meanwhile gets no words', async (t) => {
    const chat = (await given.activeChat(s, 'alice')).chat
    const kept = await post(chat.id, 'Tungsten filament')
    const gone = await post(chat.id, 'Vanadium steel')
    // As a crash would leave them: marked, no words; and one message purged before any flush.
    t.same(await due(), [kept, gone])
    await s.knex('lc_messages').where('id', gone).delete()
    // The next start: a new service over the same database, which knows nothing of what is due.
    const next = chatService()
    await next.wordsWritten()
    t.same(await wordsOf(kept), ['filament', 'tungsten'])
    t.same(await wordsOf(gone), [], 'no word of a message that is gone')
    t.same(await due(), [], 'and its mark is gone too')
    await next.close()
  })

  t.test('many due at once go in batches; a word a message already has is not written twice', async (t) => {
    const chat = (await given.activeChat(s, 'alice')).chat
    await s.chats.wordsWritten()
    // Marked as grouped writes mark them, with nothing else flushing them meanwhile.
    const bodies = ['zinc alloy', 'zinc plating', 'alloy wheels', 'wheels spin', 'plating bath', 'bath salts', 'salts zinc']
    const ids: number[] = []
    for (const [i, body] of bodies.entries()) {
      const [id] = await s.knex('lc_messages').insert(store.messageRow(chat.id, 100 + i, 'text', customer, body, null, Date.now()))
      ids.push(Number(id))
    }
    await s.knex('lc_message_words_due').insert(ids.map((id) => ({ message_id: id })))
    // One of them written already: a bug might leave that, and the rest must still go in.
    await s.knex('lc_message_words').insert({ word: 'zinc', chat_id: chat.id, message_id: ids[0]! })
    const words = dueWords({ groups: writeGroups(s.knex)!, grouped: groupedMessageStore(s.knex), batch: 3, delayMs: 60_000 })
    t.teardown(words.stop)
    await words.written()
    t.same(await due(), [])
    for (const [i, id] of ids.entries()) t.same(await wordsOf(id), indexWords(bodies[i]!).sort(), `message ${i + 1}`)
  })

  t.test('closing writes what is due and times no flush after', async (t) => {
    const chat = (await given.activeChat(s, 'alice')).chat
    const id = await post(chat.id, 'Cobalt blue')
    await s.chats.close()
    t.same(await wordsOf(id), ['blue', 'cobalt'])
    t.same(await due(), [])
  })
})
