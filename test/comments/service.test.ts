import t from 'tap'
import { createCommentService } from '../../plugin/comments/service.ts'
import { given, services } from '../helpers/given.ts'

t.test('comment service', async (t) => {
  const s = await services(t)
  const comments = createCommentService({ db: s.knex, bus: s.bus, chats: s.chats })
  const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => await p.then(() => undefined, (err: { code?: string }) => err.code)

  t.test('racing marks leave exactly one resolution, and every change is told on the bus after it', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const alice = await s.scope('alice')
    const sam = await s.scope('sam')
    const added = []
    for (let i = 0; i < 6; i++) added.push(await comments.add(chat.id, alice, { body: `Note ${i}`, resolution: false }))
    await Promise.all(added.map((c, i) => comments.setResolution(chat.id, c.id, i % 2 === 0 ? alice : sam, true)))
    const { comments: listed } = await comments.list(chat.id, alice)
    t.equal(listed.filter((c) => c.isResolution).length, 1)
    t.same(listed.map((c) => c.body), ['Note 5', 'Note 4', 'Note 3', 'Note 2', 'Note 1', 'Note 0'], 'newest first')
    await new Promise((resolve) => setImmediate(resolve))
    const told = s.events.filter((e) => e.type === 'chat.comments' && e.chatId === chat.id)
    t.equal(told.length, 12)
  })

  t.test('length is counted in characters, not UTF-16 units; surrounding space is trimmed', async (t) => {
    const { chat } = await given.activeChat(s, 'bob')
    const bob = await s.scope('bob')
    const ok = await comments.add(chat.id, bob, { body: `  ${'😀'.repeat(5000)}\r\n`, resolution: false })
    t.equal([...ok.body].length, 5000)
    t.equal(await codeOf(comments.add(chat.id, bob, { body: '😀'.repeat(5001), resolution: false })), 'LC_ERR_COMMENT_TOO_LONG')
    t.equal(await codeOf(comments.edit(chat.id, ok.id, bob, { body: ' \t', resolution: false })), 'LC_ERR_COMMENT_EMPTY')
  })

  t.test('a comment belongs to one chat; a chat out of sight is not found; a supervisor outside the group may not change it', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    const other = await given.activeChat(s, 'bob')
    const alice = await s.scope('alice')
    const mine = await comments.add(chat.id, alice, { body: 'Mine', resolution: false })
    t.equal(await codeOf(comments.remove(other.chat.id, mine.id, await s.scope('bob'))), 'LC_ERR_COMMENT_NOT_FOUND')
    t.equal(await codeOf(comments.list(chat.id, await s.scope('carol'))), 'LC_ERR_CHAT_NOT_FOUND')
    t.equal(await codeOf(comments.add(chat.id, await s.scope('bob'), { body: 'x', resolution: false })), 'LC_ERR_CHAT_NOT_FOUND')
    // A supervisor's scope without the chat's group: they see it only because it is theirs.
    const outside = { ...await s.scope('sam'), visible: [] as number[] }
    await s.knex('lc_chats').where('id', chat.id).update({ agent_id: outside.id })
    t.equal(await codeOf(comments.edit(chat.id, mine.id, outside, { body: 'Changed', resolution: false })), 'LC_ERR_COMMENT_NOT_YOURS')
    const deleted = await comments.remove(chat.id, mine.id, alice).then(() => 'deleted', (err: { code?: string }) => err.code)
    t.equal(deleted, 'LC_ERR_CHAT_NOT_FOUND', 'alice no longer has the chat')
  })

  t.test('deleting the chat deletes its comments', async (t) => {
    const { chat } = await given.activeChat(s, 'alice')
    await comments.add(chat.id, await s.scope('alice'), { body: 'Gone with the chat', resolution: true })
    await s.knex('lc_chats').where('id', chat.id).delete()
    t.equal((await s.knex('lc_chat_comments').where('chat_id', chat.id)).length, 0)
  })

  t.test('searchResolutions: resolutions only, best first, from chats the agent may see, past many they may not', async (t) => {
    const [alice, bob] = [await s.scope('alice'), await s.scope('bob')]
    /** An ended chat of `scope`'s with `text` as its resolution. */
    async function resolved (username: string, text: string, resolution = true) {
      const { chat } = await given.activeChat(s, username)
      const scope = await s.scope(username)
      const comment = await comments.add(chat.id, scope, { body: text, resolution })
      await s.chats.endChat(chat.id, { kind: 'agent', id: scope.id, name: scope.name })
      return { chat, comment }
    }
    // More matches Alice may not see than one page of the search holds.
    for (let i = 0; i < 55; i++) await resolved('bob', `Cleared the toner warning on printer ${i}`)
    const one = await resolved('alice', 'Replaced the toner cartridge')
    const both = await resolved('alice', 'Replaced the toner cartridge and cleaned the printer drum')
    await resolved('alice', 'Toner mentioned in a plain comment, not a resolution', false)
    const found = await comments.searchResolutions('printer toner smudges', alice, 5)
    t.same(found.map((h) => h.chatId), [both.chat.id, one.chat.id], 'hers only, the one with both words first')
    t.match(found[0], { commentId: both.comment.id, authorName: 'Alice Adams', question: 'My VPN will not connect', customerName: 'Dana Doyle', excerpt: /toner cartridge/ })
    t.same((await comments.searchResolutions('printer toner', alice, 5, both.chat.id)).map((h) => h.chatId), [one.chat.id], 'never the chat asking')
    t.equal((await comments.searchResolutions('toner', bob, 3)).length, 3, 'up to the limit')
    t.same(await comments.searchResolutions('how do I', alice, 5), [], 'no words, no search')
    t.same(await comments.searchResolutions('toner', alice, 0), [])
    await comments.edit(one.chat.id, one.comment.id, alice, { body: 'Reseated the fuser unit', resolution: true })
    t.same((await comments.searchResolutions('fuser', alice, 5)).map((h) => h.chatId), [one.chat.id], 'an edit is searched by its new words')
    t.same((await comments.searchResolutions('printer toner', alice, 5)).map((h) => h.chatId), [both.chat.id], 'and no longer by its old ones')
  })
})
