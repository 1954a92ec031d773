import t from 'tap'
import { build } from '../helpers/build.ts'
import { expectMessages, missing, openBrowser, openConsole, pressStartChat, wait } from '../helpers/browser.ts'

// Canned replies in real browsers: an agent types /hel at the start of her reply box, picks the
// greeting, finds it filled in for this chat, edits nothing and sends it; then she inserts
// another from the Insert canned reply list after text she already typed.

t.test('canned replies: a typed /shortcut and the Insert list fill the reply box', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true, online: false })
  const [aliceSide, customerSide] = [await openBrowser(t, 'alice'), await openBrowser(t, 'customer')]
  const [alice, customer] = [aliceSide.page, customerSide.page]

  await openConsole(alice, url, 'alice')
  await alice.getByRole('switch', { name: 'Available' }).check()
  await alice.getByText('Taking chats', { exact: true }).waitFor(wait)

  await customer.goto(`${url}/livechat/start`)
  await customer.getByLabel('Department').selectOption({ label: 'Support' })
  await customer.getByLabel('Name').fill('Dana Doyle')
  await customer.getByLabel('Email').fill('dana@customer.example')
  await customer.getByLabel('Question').fill('My VPN will not connect')
  await pressStartChat(customer)
  await customer.waitForURL(/\/livechat\/chat\/\d+$/, wait)
  await alice.getByRole('button', { name: 'Accept' }).click()
  await customer.getByText('You are chatting with Alice Adams').waitFor(wait)
  t.equal(await customer.getByRole('button', { name: 'Insert canned reply' }).count(), 0, 'the customer has no canned replies')

  // "/hel": the greeting is offered, first and active; Enter puts it in the box, filled in.
  const box = alice.getByRole('textbox', { name: 'Message', exact: true })
  await box.click()
  await box.pressSequentially('/hel')
  const greeting = alice.getByRole('option', { name: /\/hello Greeting/ })
  // The list that answers "/hel" itself: one for "/h" may show first when typing is slow.
  await alice.locator('[data-lc-canned-q="hel"]').waitFor(wait)
  await greeting.waitFor(wait)
  t.equal(await greeting.getAttribute('aria-selected'), 'true', 'the best match is active')
  t.equal(await box.getAttribute('aria-activedescendant'), await greeting.getAttribute('id'), 'the box points at it')
  await box.press('Enter')
  const hello = 'Hi Dana Doyle, I am Alice Adams from IT support. How can I help?'
  await alice.waitForFunction((want) => (document.activeElement as HTMLTextAreaElement | null)?.value === want, hello, wait)
  t.pass('the shortcut became the greeting, filled in for this chat, not sent')
  t.equal(await alice.getByRole('listbox', { name: 'Canned replies' }).count(), 0, 'the list closed')
  await expectMessages(t, customer, ['My VPN will not connect'], 'the customer, before Send')
  await alice.getByRole('button', { name: 'Send', exact: true }).click()
  await expectMessages(t, customer, ['My VPN will not connect', hello], 'the customer')

  // The Insert list: text typed first stays; the search narrows; a click inserts at the caret.
  await box.fill('Thanks. ')
  await alice.getByRole('button', { name: 'Insert canned reply' }).click()
  const search = alice.getByRole('combobox', { name: 'Search canned replies' })
  await search.waitFor(wait)
  await alice.waitForFunction(() => document.activeElement?.getAttribute('role') === 'combobox', undefined, wait)
  await search.pressSequentially('vpn')
  const vpn = alice.getByRole('option', { name: /\/vpn Reinstall the VPN profile/ })
  await vpn.waitFor(wait)
  await alice.waitForFunction(() => document.querySelectorAll('[role="option"]').length === 1, undefined, wait)
  await vpn.click()
  t.match(await box.inputValue(), /^Thanks\. Let us reinstall your VPN profile: open GlobalProtect/)
  t.equal(await alice.getByRole('listbox').count(), 0, 'the list closed')

  // Escape closes a list without touching the draft.
  await box.press('Control+End')
  await alice.getByRole('button', { name: 'Insert canned reply' }).click()
  await search.waitFor(wait)
  await search.press('Escape')
  t.equal(await alice.getByRole('listbox').count(), 0)
  t.match(await box.inputValue(), /^Thanks\. Let us reinstall/, 'the draft is kept')

  const sides = [aliceSide, customerSide]
  t.strictSame(sides.flatMap((s) => s.pageErrors), [], 'no script errors')
  t.strictSame(sides.flatMap((s) => s.consoleErrors), [], 'no console errors')
})
