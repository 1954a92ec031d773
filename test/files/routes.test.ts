import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { agentSession, build, csrf, joinCookies, login, openSocket, sameOrigin, startChat } from '../helpers/build.ts'

// Send file, both sides (docs/features.md#send-file): uploads checked by content, delivered over the sockets
// in seq order, downloaded only by people who may see the chat, and nothing kept of a refusal.

/** A real 1×1 PNG. */
const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64')
const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')
/** The start of a Windows program: "MZ", then padding. */
const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)])

interface Part { name: string, filename?: string, type?: string, content: Buffer | string }

function multipart (parts: Part[]): { payload: Buffer, type: string } {
  const boundary = `----lc${Math.random().toString(16).slice(2)}`
  const chunks: Buffer[] = []
  for (const p of parts) {
    const file = p.filename === undefined ? '' : `; filename="${p.filename}"\r\nContent-Type: ${p.type ?? 'application/octet-stream'}`
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${file}\r\n\r\n`), Buffer.from(p.content), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` }
}

t.test('files: send, deliver, download, refuse', async (t) => {
  const uploadDir = t.testdir()
  const { app, knex, url } = await build(t, { listen: true, pluginOptions: { uploadDir } })
  const storedFiles = async () => (await readdir(uploadDir)).sort()
  const rows = async () => Number((await knex('lc_chat_files').count({ n: '*' }).first())!.n)

  // An active chat: dana asks, bob accepts. Both sides have a socket open.
  const customer = await startChat(app, { question: 'Here is a screenshot of the error' })
  const chatId = customer.chatId
  const bob = await agentSession(app, 'bob')
  t.equal((await bob.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
  const customerCsrf = await csrf(app, customer.cookie, `/livechat/chat/${chatId}`)
  const agentSocket = await openSocket(url, '/livechat/ws/console', { cookie: bob.cookie, origin: url })
  const customerSocket = await openSocket(url, `/livechat/ws/chat/${chatId}`, { cookie: customerCsrf.cookie, origin: url })
  t.teardown(async () => { await agentSocket.close(); await customerSocket.close() })

  const send = async (side: 'customer' | 'agent', parts: Part[], opts: { chat?: number, cookie?: string, token?: string | null } = {}) => {
    const body = multipart(parts)
    const id = opts.chat ?? chatId
    const token = opts.token === undefined ? (side === 'customer' ? customerCsrf.token : bob.token) : opts.token
    return await app.inject({
      method: 'POST',
      url: side === 'customer' ? `/livechat/chat/${id}/files` : `/livechat/console/chats/${id}/files`,
      payload: body.payload,
      headers: {
        'content-type': body.type,
        cookie: opts.cookie ?? (side === 'customer' ? customerCsrf.cookie : bob.cookie),
        'hx-request': 'true',
        ...(token ? { 'x-csrf-token': token } : {}),
        ...sameOrigin
      }
    })
  }
  const file = (filename: string, content: Buffer | string, type?: string): Part[] => [{ name: 'file', filename, type, content }]

  t.test('the customer sends a PNG: stored under a random name with its hash, and delivered to the agent\'s socket', async (t) => {
    const res = await send('customer', file('screenshot.png', png, 'image/png'))
    t.equal(res.statusCode, 200, res.body)
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-file-status-${chatId}" hx-swap="innerHTML"></hx-partial>`))
    const row = await knex('lc_chat_files').where({ chat_id: chatId, name: 'screenshot.png' }).first()
    t.equal(row.type, 'image/png')
    t.equal(Number(row.size), png.length)
    t.equal(row.author_kind, 'customer')
    t.equal(row.sha256, createHash('sha256').update(png).digest('hex'))
    t.match(row.storage_name, /^[0-9a-f]{48}$/, 'a random name, nothing of the sender\'s')
    t.same(await readFile(join(uploadDir, row.storage_name)), png)
    const frame = await agentSocket.waitFor(/lc-file__link/)
    t.match(frame, new RegExp(`href="/livechat/chats/${chatId}/files/${row.id}" download="screenshot.png">screenshot.png</a>`))
    t.match(frame, new RegExp(`${png.length} bytes · image/png`))
    t.match(frame, /<a class="lc-file__preview" href="\/livechat\/chats\/\d+\/files\/\d+" target="_blank" rel="noopener" data-lc-viewer="screenshot.png"><img src="\/livechat\/chats\/\d+\/files\/\d+" alt="View screenshot.png" loading="lazy" width="1" height="1"><\/a>/,
      'an image gets a thumbnail that opens the viewer, its size stated so nothing moves when it loads')
    const message = await knex('lc_messages').where({ chat_id: chatId, kind: 'file' }).first()
    t.equal(JSON.parse(message.body).id, Number(row.id), 'the message names its file')
    t.match(frame, new RegExp(`data-seq="${message.seq}"`), 'delivered in its seq like any message')
    await customerSocket.waitFor(/screenshot\.png/)
    t.pass('and to the customer\'s own socket')
  })

  t.test('the agent sends a PDF, and plain UTF-8 text: both reach the customer', async (t) => {
    const res = await send('agent', file('Überweisung März.pdf', pdf, 'application/pdf'))
    t.equal(res.statusCode, 200, res.body)
    const frame = await customerSocket.waitFor(/Überweisung März\.pdf/)
    t.match(frame, /application\/pdf/)
    t.notMatch(frame, /<img/, 'no preview for a PDF')
    const text = await send('agent', file('steps.txt', 'Öffnen Sie die Einstellungen\n1. Netzwerk\n2. VPN\n', 'text/plain'))
    t.equal(text.statusCode, 200, text.body)
    await customerSocket.waitFor(/steps\.txt/)
    t.equal((await knex('lc_chat_files').where({ chat_id: chatId, name: 'steps.txt' }).first()).type, 'text/plain')
    const chat = await knex('lc_chats').where({ id: chatId }).first()
    t.ok(Number(chat.last_agent_message_at) > 0, 'a file the agent sends counts as an answer')
    const print = await app.inject({ url: `/livechat/console/chats/${chatId}/print`, headers: { cookie: bob.cookie } })
    t.match(print.body, /Sent a file: Überweisung März\.pdf \(\d[\d.]* (bytes|KB)\)/, 'a transcript names the file, not its stored JSON')
    t.notMatch(print.body, /&quot;sizeText&quot;|"sizeText"/)
  })

  t.test('an image over thumbnailMaxBytes is offered as View image, not loaded as a thumbnail', async (t) => {
    const ihdr = Buffer.alloc(13)
    ihdr.writeUInt32BE(4000, 0)
    ihdr.writeUInt32BE(3000, 4)
    ihdr.set([8, 6, 0, 0, 0], 8)
    // A PNG chunk: length, type, data, and a checksum nobody here reads.
    const sized = (type: string, data: Buffer) => {
      const length = Buffer.alloc(4)
      length.writeUInt32BE(data.length)
      return Buffer.concat([length, Buffer.from(type), data, Buffer.alloc(4)])
    }
    const photo = Buffer.concat([png.subarray(0, 8), sized('IHDR', ihdr), sized('IDAT', Buffer.alloc(2.5 * 1024 * 1024)), sized('IEND', Buffer.alloc(0))])
    const res = await send('customer', file('holiday.png', photo))
    t.equal(res.statusCode, 200, res.body)
    const frame = await agentSocket.waitFor(/holiday\.png/)
    t.match(frame, /<a class="lc-file__preview lc-file__preview--large" href="[^"]+" target="_blank" rel="noopener" data-lc-viewer="holiday.png">View image<span class="lc-visually-hidden"> holiday.png<\/span><\/a>/)
    t.notMatch(frame, /<img/, 'nothing loads until it is opened')
    const message = await knex('lc_messages').where({ chat_id: chatId, kind: 'file' }).orderBy('seq', 'desc').first()
    t.match(JSON.parse(message.body), { name: 'holiday.png', image: true, large: true, width: 4000, height: 3000 })
  })

  t.test('a name is cleaned and ends in the extension of what the content is', async (t) => {
    const res = await send('customer', file('C:\\Users\\dana\\photo\u202Egnp', png, 'application/x-msdownload'))
    t.equal(res.statusCode, 200, res.body)
    const row = await knex('lc_chat_files').where({ chat_id: chatId }).orderBy('id', 'desc').first()
    t.equal(row.name, 'photognp.png', 'no path, no right-to-left override, the real extension added')
    t.equal(row.type, 'image/png', 'the browser\'s claim is ignored')
    // An ending no type is known by promises nothing: the name is kept and the real extension added.
    for (const [sent, kept] of [['notes.final', 'notes.final.txt'], ['export.dat', 'export.dat.txt'], ['steps.LOG', 'steps.LOG']] as const) {
      t.equal((await send('agent', file(sent, 'line one\n'))).statusCode, 200, sent)
      t.equal((await knex('lc_chat_files').where({ chat_id: chatId }).orderBy('id', 'desc').first()).name, kept)
    }
  })

  t.test('download: the customer and the agent get it with the detected type, disposition, nosniff and a strict CSP', async (t) => {
    const image = await knex('lc_chat_files').where({ chat_id: chatId, name: 'screenshot.png' }).first()
    const res = await app.inject({ url: `/livechat/chats/${chatId}/files/${image.id}`, headers: { cookie: customer.cookie } })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['content-type'], 'image/png')
    t.equal(res.headers['content-disposition'], 'inline; filename="screenshot.png"; filename*=UTF-8\'\'screenshot.png')
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.match(String(res.headers['content-security-policy']), /^default-src 'none';.*sandbox/)
    t.same(res.rawPayload, png)

    const doc = await knex('lc_chat_files').where({ chat_id: chatId, type: 'application/pdf' }).first()
    const byAgent = await app.inject({ url: `/livechat/chats/${chatId}/files/${doc.id}`, headers: { cookie: bob.cookie } })
    t.equal(byAgent.statusCode, 200)
    t.equal(byAgent.headers['content-type'], 'application/pdf')
    t.equal(byAgent.headers['content-disposition'], 'attachment; filename="_berweisung M_rz.pdf"; filename*=UTF-8\'\'%C3%9Cberweisung%20M%C3%A4rz.pdf', 'not an image: always a download')
    t.same(byAgent.rawPayload, pdf)

    const text = await knex('lc_chat_files').where({ chat_id: chatId, name: 'steps.txt' }).first()
    const plain = await app.inject({ url: `/livechat/chats/${chatId}/files/${text.id}`, headers: { cookie: customer.cookie } })
    t.equal(plain.headers['content-type'], 'text/plain; charset=utf-8')
    t.match(String(plain.headers['content-disposition']), /^attachment;/)
  })

  t.test('download: 404 for another chat\'s customer, an agent who may not see the chat, nobody, or a file of another chat', async (t) => {
    const image = await knex('lc_chat_files').where({ chat_id: chatId, name: 'screenshot.png' }).first()
    const other = await startChat(app, { name: 'Erin Evans', email: 'erin@customer.example', question: 'Another question' })
    const path = `/livechat/chats/${chatId}/files/${image.id}`
    const asOther = await app.inject({ url: path, headers: { cookie: other.cookie.replace(`lc_chat_${other.chatId}=`, `lc_chat_${chatId}=`) } })
    t.equal(asOther.statusCode, 404, 'another chat\'s token, even under this chat\'s cookie name')
    t.equal((await app.inject({ url: path, headers: { cookie: other.cookie } })).statusCode, 404, 'another chat\'s customer')
    const carol = await login(app, 'carol')
    const byCarol = await app.inject({ url: path, headers: { cookie: carol, accept: 'application/json' } })
    t.equal(byCarol.statusCode, 404, 'an agent of another group')
    t.equal(byCarol.json().code, 'LC_ERR_FILE_NOT_FOUND')
    t.equal((await app.inject({ url: path })).statusCode, 404, 'no session at all')
    const erin = await login(app, 'erin')
    t.equal((await app.inject({ url: path, headers: { cookie: erin } })).statusCode, 404, 'a signed-in customer who did not start the chat')
    t.equal((await app.inject({ url: `/livechat/chats/${other.chatId}/files/${image.id}`, headers: { cookie: other.cookie } })).statusCode, 404, 'the file under another chat\'s address')
    t.equal((await app.inject({ url: `/livechat/chats/${chatId}/files/999999`, headers: { cookie: customer.cookie } })).statusCode, 404)
  })

  t.test('refusals keep nothing: no row, no message, no file on disk', async (t) => {
    const beforeRows = await rows()
    const beforeFiles = await storedFiles()
    const beforeSeq = Number((await knex('lc_chats').where({ id: chatId }).first()).last_seq)

    const big = Buffer.alloc(Math.round(14.2 * 1024 * 1024), 0x41)
    const tooBig = await send('customer', file('backup.txt', big))
    t.equal(tooBig.statusCode, 413)
    t.match(tooBig.body, /Files can be at most 10 MB \(this one is 14\.2 MB\)/)
    t.match(tooBig.body, new RegExp(`hx-target="#lc-file-status-${chatId}"[^>]*>.*data-code="LC_ERR_FILE_TOO_LARGE"`))

    const renamed = await send('customer', file('cat.png', exe, 'image/png'))
    t.equal(renamed.statusCode, 422)
    t.match(renamed.body, /data-code="LC_ERR_FILE_TYPE"/)
    t.match(renamed.body, /This file is application\/x-msdownload, which cannot be sent here; you can send PNG, JPEG, GIF, WebP, PDF, plain text, Word \(\.docx\)/)

    // The content is allowed, but the name says it is something else: refused, not renamed.
    const textAsPng = await send('customer', file('error.png', 'not really a picture', 'image/png'))
    t.equal(textAsPng.statusCode, 422)
    t.match(textAsPng.body, /data-code="LC_ERR_FILE_MISMATCH"/)
    t.match(textAsPng.body, /error\.png is plain text, though its name says PNG; rename it to match what it is, or pick the right file/)
    const pngAsExe = await send('agent', file('C:\\tmp\\setup.exe', png))
    t.equal(pngAsExe.statusCode, 422)
    t.match(pngAsExe.body, /setup\.exe is PNG, though its name says EXE/)
    const pdfAsDocx = await send('agent', file('Offer.DOCX', pdf))
    t.match(pdfAsDocx.body, /Offer\.DOCX is PDF, though its name says Word \(\.docx\)/)
    const textAsHtml = await send('customer', file('notes.html', 'just words'))
    t.match(textAsHtml.body, /notes\.html is plain text, though its name says HTML/)

    const html = await send('agent', file('notes.txt', '<!DOCTYPE html><html><body><script>alert(1)</script></body></html>', 'text/plain'))
    t.equal(html.statusCode, 422, 'HTML is not plain text, whatever its name')
    t.match(html.body, /This file is text\/html, which cannot be sent here/)
    const svg = await send('customer', file('logo.txt', '  <svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))
    t.equal(svg.statusCode, 422)
    t.match(svg.body, /This file is text\/xml/)

    const binary = await send('customer', file('data.txt', Buffer.from([0x68, 0x69, 0x00, 0x21])))
    t.equal(binary.statusCode, 422, 'NUL bytes are not text')
    t.match(binary.body, /This file is of a type we could not recognise/)
    const latin1 = await send('customer', file('old.txt', Buffer.from([0x66, 0xfc, 0x72])))
    t.equal(latin1.statusCode, 422, 'invalid UTF-8 is not text')

    const empty = await send('customer', file('empty.txt', ''))
    t.equal(empty.statusCode, 422)
    t.match(empty.body, /empty\.txt is empty; pick a file with something in it/)

    const noFile = await send('customer', [{ name: 'note', content: 'hello' }])
    t.equal(noFile.statusCode, 422)
    t.match(noFile.body, /data-code="LC_ERR_FILE_MISSING"/)
    const notMultipart = await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/files`, payload: { file: 'x' }, headers: { cookie: customerCsrf.cookie, 'x-csrf-token': customerCsrf.token, 'hx-request': 'true', ...sameOrigin } })
    t.equal(notMultipart.statusCode, 422)

    const noCsrf = await send('customer', file('screenshot.png', png), { token: null })
    t.equal(noCsrf.statusCode, 403)
    t.match(noCsrf.body, /data-code="LC_ERR_CSRF"/)
    const agentNoCsrf = await send('agent', file('screenshot.png', png), { token: null })
    t.equal(agentNoCsrf.statusCode, 403)

    const carol = await agentSession(app, 'carol')
    t.equal((await send('agent', file('screenshot.png', png), { cookie: carol.cookie, token: carol.token })).statusCode, 404, 'an agent who may not see the chat')
    const stranger = await startChat(app, { question: 'Mine' })
    const strangerCsrf = await csrf(app, stranger.cookie, `/livechat/chat/${stranger.chatId}`)
    t.equal((await send('customer', file('screenshot.png', png), { cookie: strangerCsrf.cookie, token: strangerCsrf.token })).statusCode, 404, 'another chat\'s customer')

    t.equal(await rows(), beforeRows, 'no file rows')
    t.same(await storedFiles(), beforeFiles, 'no file, whole or partial, on disk')
    t.equal(Number((await knex('lc_chats').where({ id: chatId }).first()).last_seq), beforeSeq, 'no message')
  })

  t.test('a queued chat: the customer may send, an agent only once it is theirs', async (t) => {
    const queued = await startChat(app, { question: 'Still waiting' })
    const c = await csrf(app, queued.cookie, `/livechat/chat/${queued.chatId}`)
    const mine = await send('customer', file('waiting.png', png), { chat: queued.chatId, cookie: c.cookie, token: c.token })
    t.equal(mine.statusCode, 200)
    const early = await send('agent', file('early.png', png), { chat: queued.chatId })
    t.equal(early.statusCode, 409)
    t.match(early.body, /LC_ERR_CHAT_STATE_CONFLICT/)
  })

  t.test('a closed chat takes no files from either side', async (t) => {
    const beforeFiles = await storedFiles()
    const beforeRows = await rows()
    t.equal((await bob.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 200)
    const late = await send('customer', file('late.png', png))
    t.equal(late.statusCode, 409)
    t.match(late.body, /data-code="LC_ERR_CHAT_CLOSED"/)
    t.equal((await send('agent', file('late.png', png))).statusCode, 409)
    t.equal(await rows(), beforeRows)
    t.same(await storedFiles(), beforeFiles)
  })

  t.test('the Attachments tab lists every file with who sent it, when, size, type and a link', async (t) => {
    const res = await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/attachments`, headers: { cookie: bob.cookie } })
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-tab-panel-${chatId}" hx-swap="innerHTML">`))
    t.match(res.body, /download="screenshot.png">screenshot.png<\/a><\/td>\s*<td>Dana Doyle <small>\(Customer\)<\/small><\/td>\s*<td><time datetime="[^"]+" data-format="datetime">[^<]+<\/time><\/td>\s*<td>70 bytes<\/td>\s*<td title="image\/png">PNG<\/td>/)
    t.match(res.body, /Überweisung März\.pdf<\/a><\/td>\s*<td>Bob Brown <small>\(Agent\)<\/small>/)
    t.match(res.body, /steps\.txt[\s\S]*plain text/)
    const carol = await login(app, 'carol')
    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/attachments`, headers: { cookie: carol } })).statusCode, 404)
    const page = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: bob.cookie } })
    t.match(page.body, /Attachments/, 'the tab is offered in the chat view')
  })

  t.test('the composer offers Send file on both sides', async (t) => {
    const other = await startChat(app, { question: 'One more' })
    const page = await app.inject({ url: `/livechat/chat/${other.chatId}`, headers: { cookie: other.cookie } })
    t.match(page.body, new RegExp(`hx-post="/livechat/chat/${other.chatId}/files" hx-encoding="multipart/form-data"`))
    t.match(page.body, /Send file<input type="file" name="file"/)
    const alice = await agentSession(app, 'alice')
    await alice.post(`/livechat/console/chats/${other.chatId}/accept`)
    const console = await app.inject({ url: '/livechat/console', headers: { cookie: joinCookies(alice.cookie) } })
    t.match(console.body, new RegExp(`hx-post="/livechat/console/chats/${other.chatId}/files"`))
  })
})

t.test('files: settings narrow the size and types', async (t) => {
  const uploadDir = t.testdir()
  const { app } = await build(t, { pluginOptions: { uploadDir, settings: { chatStartsPerMinute: 1000, maxFileBytes: 1000, allowedFileTypes: ['application/pdf'] } } })
  const { chatId, cookie } = await startChat(app)
  const c = await csrf(app, cookie, `/livechat/chat/${chatId}`)
  const post = async (name: string, content: Buffer) => {
    const body = multipart([{ name: 'file', filename: name, content }])
    return await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/files`, payload: body.payload, headers: { 'content-type': body.type, cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin } })
  }
  const png1 = await post('a.png', png)
  t.equal(png1.statusCode, 422)
  t.match(png1.body, /This file is PNG \(image\/png\), which cannot be sent here; you can send PDF/)
  const big = await post('a.pdf', Buffer.concat([pdf, Buffer.alloc(2000, 0x20)]))
  t.equal(big.statusCode, 413)
  t.match(big.body, /Files can be at most 1000 bytes \(this one is 2\.\d KB\)/)
  t.equal((await post('a.pdf', pdf)).statusCode, 200)
  t.same((await readdir(uploadDir)).filter((f) => f.endsWith('.part')), [], 'no partial file left')
})
