import { readdir } from 'node:fs/promises'
import t from 'tap'
import { agentSession, build, sameOrigin, startChat } from '../helpers/build.ts'

// A malformed upload is the sender's mistake, not the server's (docs/features.md#send-file):
// it answers 400 with a coded error a person can act on, and nothing is stored.
t.test('files: a malformed multipart body answers 400 and stores nothing', async (t) => {
  const uploadDir = t.testdir()
  const { app, knex } = await build(t, { pluginOptions: { uploadDir } })
  const { chatId } = await startChat(app, { question: 'Here is a screenshot of the error' })
  const bob = await agentSession(app, 'bob')
  t.equal((await bob.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)

  const cases: Array<{ name: string, type: string, payload: string }> = [
    { name: 'a body cut off in the middle of its part', type: 'multipart/form-data; boundary=xyz', payload: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc' },
    { name: 'no boundary in the content type', type: 'multipart/form-data', payload: '--xyz\r\n\r\n' }
  ]
  for (const c of cases) {
    const res = await app.inject({
      method: 'POST',
      url: `/livechat/console/chats/${chatId}/files`,
      payload: c.payload,
      headers: { 'content-type': c.type, cookie: bob.cookie, 'x-csrf-token': bob.token, 'hx-request': 'true', ...sameOrigin }
    })
    t.equal(res.statusCode, 400, `${c.name}: 400`)
    t.match(res.body, /LC_ERR_UPLOAD_MALFORMED/, `${c.name}: says what was wrong`)
  }
  t.equal(Number((await knex('lc_chat_files').count({ n: '*' }).first())!.n), 0, 'no file row')
  t.same(await readdir(uploadDir), [], 'no file on disk')
})
