import t from 'tap'
import { build } from '../helpers/build.ts'
import { aliceTakesDanaAndErin, expectMessages, markPage, missing, openBrowser, openConsole, send, stillSamePage, wait } from '../helpers/browser.ts'

// The console in real browsers (issue "Done when"): two chats held at once with drafts kept
// across switching, typing shown to the customer, a supervisor coaching the agent inline
// while the customer sees none of it, a canned reply by shortcut, a comment, User Details.

t.test('two chats, typing, coaching, a canned reply, a comment and User Details in real browsers', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const [aliceSide, samSide, danaSide, erinSide] = [
    await openBrowser(t, 'alice'), await openBrowser(t, 'sam'), await openBrowser(t, 'dana'), await openBrowser(t, 'erin')
  ]
  const [alice, sam, dana, erin] = [aliceSide.page, samSide.page, danaSide.page, erinSide.page]

  await openConsole(alice, url, 'alice')
  await alice.getByRole('switch', { name: 'Available' }).check()
  await alice.getByText('Taking chats', { exact: true }).waitFor(wait)
  await markPage(alice)

  // Two chats at once: drafts survive switching between them.
  await aliceTakesDanaAndErin(alice, dana, erin, url)
  const myActive = alice.getByRole('region', { name: /My Active/ })
  await myActive.getByRole('link', { name: /Dana Doyle/ }).click()
  await alice.locator('.lc-pane:not([hidden])').getByRole('textbox', { name: 'Message' }).fill('Draft for Dana')
  await myActive.getByRole('link', { name: /Erin Evans/ }).click()
  await expectMessages(t, alice, ['I need the Finance drive'], 'alice, in Erin\'s chat')
  await myActive.getByRole('link', { name: /Dana Doyle/ }).click()
  t.equal(await alice.locator('.lc-pane:not([hidden])').getByRole('textbox', { name: 'Message' }).inputValue(), 'Draft for Dana', 'the draft survived the switch')

  // Typing shows on the customer's side.
  await alice.locator('.lc-pane:not([hidden])').getByRole('textbox', { name: 'Message' }).pressSequentially(' and more')
  await dana.getByText('Alice Adams is typing…').waitFor(wait)
  t.pass('dana sees alice typing')
  await send(alice, 'Which tray does it jam in?')
  await expectMessages(t, dana, ['My printer keeps jamming', 'Which tray does it jam in?'], 'dana')
  // Her message ends the line at once, well before it would fade on its own (five seconds).
  await dana.getByText('Alice Adams is typing…').waitFor({ state: 'detached', timeout: 3000 })
  t.pass('the message ends "is typing" on dana\'s side')

  // Sam opens the chat's view and coaches; alice sees it inline, dana never does.
  await openConsole(sam, url, 'sam')
  const chatUrl = new URL(dana.url()).pathname.replace('/livechat/chat/', '/livechat/console/chats/')
  const socketOpened = sam.waitForEvent('websocket', wait)
  await sam.goto(`${url}${chatUrl}`)
  await socketOpened
  await sam.getByRole('textbox', { name: /^Coaching/ }).fill('Ask if the paper is the right weight')
  await sam.getByRole('button', { name: 'Send coaching' }).click()
  await alice.getByText('Ask if the paper is the right weight').waitFor(wait)
  t.ok(await alice.locator('.lc-msg--coaching', { hasText: '(coaching)' }).isVisible(), 'marked as coaching in alice\'s chat')
  await alice.locator('.lc-pane:not([hidden])').getByRole('textbox', { name: /^Coaching/ }).fill('Good idea, asking now')
  await alice.locator('.lc-pane:not([hidden])').getByRole('button', { name: 'Send coaching' }).click()
  await sam.getByText('Good idea, asking now').waitFor(wait)
  await send(alice, 'Is it the standard 80 g paper?')
  await expectMessages(t, dana, ['My printer keeps jamming', 'Which tray does it jam in?', 'Is it the standard 80 g paper?'], 'dana')
  t.equal(await dana.getByText(/right weight|asking now|coaching/).count(), 0, 'dana never sees the coaching')
  await dana.reload()
  await dana.getByText('Is it the standard 80 g paper?').waitFor(wait)
  t.equal(await dana.getByText(/right weight|asking now/).count(), 0, 'not after a reload either')

  // A canned reply by its shortcut, filled in for this chat.
  const pane = alice.locator('.lc-pane:not([hidden])')
  const box = pane.getByRole('textbox', { name: 'Message', exact: true })
  await box.fill('')
  await box.pressSequentially('/hel')
  await alice.getByRole('option', { name: /\/hello/ }).waitFor(wait)
  await box.press('Enter')
  const hello = 'Hi Dana Doyle, I am Alice Adams from IT support. How can I help?'
  await alice.waitForFunction((want) => (document.activeElement as HTMLTextAreaElement | null)?.value === want, hello, wait)
  await pane.getByRole('button', { name: 'Send', exact: true }).click()
  await dana.getByText(hello).waitFor(wait)
  t.pass('the canned reply, filled in, reached dana')

  // A comment for agents, then the customer's details.
  await pane.getByRole('tab', { name: 'Comments' }).click()
  const comments = pane.getByRole('region', { name: /^Comments on chat #/ })
  await comments.getByLabel(/Add comment/).fill('Paper weight was the cause; replaced the tray')
  await comments.getByLabel('Mark as the resolution').check()
  await comments.getByRole('button', { name: 'Add comment' }).click()
  await comments.getByRole('listitem').filter({ hasText: 'replaced the tray' }).getByText('Resolution', { exact: true }).waitFor(wait)
  t.pass('the comment is the resolution')
  t.equal(await dana.getByText(/replaced the tray/).count(), 0, 'dana never sees comments')
  await pane.getByRole('button', { name: 'dana@customer.example' }).click()
  const details = pane.getByRole('region', { name: /^Customer of chat #/ })
  await details.getByRole('heading', { name: 'Previous live chats' }).waitFor(wait)
  t.equal(await pane.getByRole('tab', { name: 'Customer' }).getAttribute('aria-selected'), 'true', 'the email opens the Customer tab')
  await pane.getByRole('tab', { name: 'Conversation' }).click()
  await box.waitFor(wait)

  // Double-click opens the chat in its own window.
  const [popup] = await Promise.all([alice.waitForEvent('popup', wait), myActive.getByRole('link', { name: /Erin Evans/ }).dblclick()])
  await popup.waitForURL(/\/livechat\/console\/chats\/\d+$/, wait)
  await popup.getByText('I need the Finance drive').waitFor(wait)
  t.pass('the chat opened in its own window')
  await popup.close()

  t.ok(await stillSamePage(alice), 'alice\'s console updated in place')

  // Opened again with both chats, the console draws the newest one's pane (Erin's); Dana's
  // is a slot until shown. Her message meanwhile counts as unread, and is in her pane when
  // the palette or J shows it; opened by the keyboard, its reply box takes the focus.
  async function reopen (): Promise<void> {
    const socketOpened = alice.waitForEvent('websocket', wait)
    await alice.reload()
    await socketOpened
    await alice.locator('.lc-pane:not([hidden])[aria-label="Chat with Erin Evans"]').waitFor(wait)
  }
  await reopen()
  t.equal(await alice.locator('.lc-pane[data-lc-slot]').count(), 1, 'one chat is drawn, the other is a slot')
  t.equal(await alice.locator('.lc-pane[data-lc-slot][aria-label="Chat with Dana Doyle"]').count(), 1, 'the older chat is the slot')
  await send(dana, 'It jams in tray 2')
  const badge = myActive.getByRole('link', { name: /Dana Doyle/ }).locator('[data-lc-unread]')
  await badge.waitFor({ state: 'visible', ...wait })
  t.equal(await badge.textContent(), '1', 'a message to a chat not drawn yet counts as unread')
  await alice.keyboard.press('Control+k')
  const palette = alice.getByRole('dialog', { name: 'Command palette' })
  await palette.getByRole('combobox').fill('Dana')
  await palette.getByRole('option', { name: /Dana Doyle #/ }).first().waitFor(wait)
  await alice.keyboard.press('Enter')
  const danaPane = alice.locator('.lc-pane:not([hidden]):not([data-lc-slot])[aria-label="Chat with Dana Doyle"]')
  await danaPane.getByText('It jams in tray 2').waitFor(wait)
  t.pass('the palette shows the chat, its pane loaded with the message')
  await badge.waitFor({ state: 'hidden', ...wait })
  t.pass('and its unread badge is cleared')
  await reopen()
  await alice.keyboard.press('j')
  await danaPane.getByText('It jams in tray 2').waitFor(wait)
  await alice.waitForFunction(() => document.activeElement?.closest('.lc-pane')?.getAttribute('aria-label') === 'Chat with Dana Doyle')
  t.pass('J shows the next chat, loaded, with the focus in its reply box')
  await send(alice, 'Tray 2 needs a new roller')
  await dana.getByText('Tray 2 needs a new roller').waitFor(wait)
  t.pass('the loaded pane sends')
  const sides = [aliceSide, samSide, danaSide, erinSide]
  t.strictSame(sides.flatMap((s) => s.pageErrors), [], 'no script errors')
  t.strictSame(sides.flatMap((s) => s.consoleErrors), [], 'no console errors')
})
