import t from 'tap'
import { hashPassword } from '../../demo-host/passwords.ts'
import { agentSession, build, startChat } from '../helpers/build.ts'
import { markPage, missing, openBrowser, openConsole, stillSamePage, wait } from '../helpers/browser.ts'

// Internal messaging in real browsers (docs/features.md#internal-messaging): alice asks
// carol about a live chat while carol is signed out; carol signs in later, finds it with its
// Related tag and replies, and alice sees the reply arrive.
// Then sam opens a room for Support, alice talks in it, and an agent outside Support is refused.

t.test('an instant message about a chat, read later; a room for one department', { skip: missing }, async (t) => {
  const { app, knex, url } = await build(t, { listen: true })
  const alice = await agentSession(app, 'alice')
  const { chatId } = await startChat(app, { name: 'Dana Doyle', email: 'dana@customer.example', question: 'Where is my parcel?' })
  await alice.post(`/livechat/console/chats/${chatId}/accept`)

  // Alice, in the chat's Actions menu: Assistance → Instant Message, to carol, who is offline.
  const a = await openBrowser(t, 'alice')
  await openConsole(a.page, url, 'alice')
  await a.page.goto(`${url}/livechat/console/chats/${chatId}`)
  await a.page.getByLabel(`Actions for chat #${chatId}`).click()
  await a.page.getByRole('link', { name: 'Instant Message' }).last().click()
  // A dialog over the console where scripts run, else the New page: the same form either way.
  const dialog = a.page.getByRole('form', { name: 'New instant message' })
  await dialog.waitFor(wait)
  t.match(await dialog.locator('.lc-im-related').textContent(), `Chat #${chatId}`, 'the new message carries the chat as its Related tag')
  const offline = dialog.locator('.lc-im-agents__list').nth(1)
  await dialog.getByLabel('Carol Chen').check()
  t.ok(await offline.getByLabel('Carol Chen').count() > 0 || await dialog.getByText('Carol Chen').count() > 0, 'carol is listed while offline')
  await dialog.getByLabel(/^Message/).fill('Can you check the courier for this one?')
  await dialog.getByRole('button', { name: 'Send' }).click()
  await a.page.waitForURL(/\/livechat\/console\/im\/\d+$/, wait)
  const threadUrl = a.page.url()
  const threadId = Number(threadUrl.split('/').pop())
  await a.page.locator('.lc-im-header .lc-im-related').getByRole('link', { name: new RegExp(`Chat #${chatId}`) }).waitFor(wait)
  t.pass('the thread opens with the Related tag linking to the chat')

  // Carol signs in afterwards: the unread badge, the list, the thread with its history and tag.
  const c = await openBrowser(t, 'carol')
  await openConsole(c.page, url, 'carol')
  await c.page.getByRole('link', { name: 'Instant Messages, 1 unread' }).waitFor(wait)
  await c.page.getByRole('link', { name: 'Instant Messages, 1 unread' }).click()
  await c.page.waitForURL(`${url}/livechat/console/im`, wait)
  await c.page.locator(`a[href$="/console/im/${threadId}"]`).first().click()
  await c.page.waitForURL(`${url}/livechat/console/im/${threadId}`, wait)
  await c.page.getByText('Can you check the courier for this one?').waitFor(wait)
  await c.page.locator('.lc-im-header .lc-im-related').getByRole('link', { name: new RegExp(`Chat #${chatId}`) }).waitFor(wait)
  t.pass('carol sees the message sent while she was away, and the Related tag')
  const joinButton = c.page.getByRole('button', { name: 'Join', exact: true })
  // Join answers with the thread's header and composer: typing starts once they are in.
  if (await joinButton.count() > 0) {
    await joinButton.click()
    await joinButton.waitFor({ state: 'detached', ...wait })
  }
  await c.page.getByRole('textbox', { name: /^Message/ }).fill('Courier says it leaves the depot today.')
  await c.page.getByRole('button', { name: 'Send', exact: true }).click()

  // The reply reaches alice's open thread over the socket, once, after her message.
  await a.page.locator('.lc-im-messages').getByText('Courier says it leaves the depot today.').waitFor(wait)
  const bodies = await a.page.locator('.lc-im-messages .lc-msg:not(.lc-msg--event) .lc-msg__body').allTextContents()
  t.strictSame(bodies, ['Can you check the courier for this one?', 'Courier says it leaves the depot today.'], 'alice sees both messages in order, once each')

  // Sam (a supervisor) creates a room for the Support department.
  const s = await openBrowser(t, 'sam')
  await openConsole(s.page, url, 'sam')
  await s.page.goto(`${url}/livechat/console/rooms/new`)
  await s.page.getByLabel(/^Name/).fill('Support huddle')
  await s.page.getByLabel(/^Add Permission/).selectOption({ label: 'Support' })
  await s.page.getByRole('button', { name: 'Add', exact: true }).click()
  await s.page.getByRole('button', { name: /^Remove .*Support/ }).waitFor(wait)
  await s.page.getByRole('button', { name: 'Save', exact: true }).click()
  await s.page.waitForURL(/\/livechat\/console\/rooms\/\d+$/, wait)
  const roomId = Number(s.page.url().split('/').pop())
  t.ok(roomId > 0, 'the room is created and opened')

  // Alice finds it among her rooms, joins, and posts; sam's open room shows it live.
  await a.page.goto(`${url}/livechat/console/rooms`)
  await a.page.getByRole('button', { name: 'Join Support huddle' }).click()
  await a.page.waitForURL(`${url}/livechat/console/rooms/${roomId}`, wait)
  await a.page.getByRole('textbox', { name: /^Message/ }).fill('Morning, Support!')
  await a.page.getByRole('button', { name: 'Send', exact: true }).click()
  await a.page.locator('.lc-im-messages').getByText('Morning, Support!').waitFor(wait)
  await s.page.locator('.lc-im-messages').getByText('Morning, Support!').waitFor(wait)
  await s.page.locator('.lc-room-header').getByText('1 agent in the room now').waitFor(wait)
  t.pass('alice posts in the room and sam sees it arrive, with her in the room\'s header')

  // The administrator manages the room without being admitted; adding the admin role lets
  // him in, and his page follows the conversation from then on, without a reload.
  const ad = await openBrowser(t, 'admin')
  await openConsole(ad.page, url, 'admin')
  await ad.page.goto(`${url}/livechat/console/rooms/${roomId}`)
  t.equal(await ad.page.getByText('Morning, Support!').count(), 0, 'a manager the permissions do not admit does not read the room')
  await markPage(ad.page)
  await ad.page.getByLabel('Add Permission').selectOption({ label: 'admin' })
  await ad.page.getByRole('button', { name: 'Add', exact: true }).click()
  await ad.page.locator('.lc-im-messages').getByText('Morning, Support!').waitFor(wait)
  await a.page.getByRole('textbox', { name: /^Message/ }).fill('Welcome, Ada.')
  await a.page.getByRole('button', { name: 'Send', exact: true }).click()
  await ad.page.locator('.lc-im-messages').getByText('Welcome, Ada.').waitFor(wait)
  t.ok(await stillSamePage(ad.page), 'admitted, the manager reads the room and gets its new messages live, on the same page')

  // Olga works only in Sales: the room is not in her list and its page is refused.
  const now = Date.now()
  await knex('users').insert({ username: 'olga', name: 'Olga Olsen', email: 'olga@helpdesk.example', roles: 'agent', password_hash: await hashPassword('demo'), created_at: now })
  const olga = await knex('users').where({ username: 'olga' }).first('id')
  const sales = await knex('lc_groups').where({ name: 'Sales' }).first('id')
  await knex('lc_group_members').insert({ group_id: sales.id, agent_id: String(olga.id), active: true, created_at: now })
  const o = await openBrowser(t, 'olga')
  await openConsole(o.page, url, 'olga')
  await o.page.goto(`${url}/livechat/console/rooms`)
  t.equal(await o.page.getByText('Support huddle').count(), 0, 'the room is not listed for an agent outside Support')
  const refused = await o.page.goto(`${url}/livechat/console/rooms/${roomId}`)
  t.equal(refused?.status(), 404, 'and its page is refused')
  t.equal(await o.page.getByText('Morning, Support!').count(), 0, 'with none of its history')

  for (const w of [a, c, s, ad, o]) {
    t.strictSame(w.pageErrors, [], 'no page errors')
    // The browser reports the refused room page's 404 itself; nothing else may be logged.
    t.strictSame(w.consoleErrors.filter((e) => !e.includes(`404 (Not Found) (${url}/livechat/console/rooms/${roomId})`)), [], 'no console errors')
  }
})
