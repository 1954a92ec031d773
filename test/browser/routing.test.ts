import t from 'tap'
import { build } from '../helpers/build.ts'
import { expectMessages, markPage, missing, openBrowser, openConsole, pressStartChat, send, stillSamePage, wait } from '../helpers/browser.ts'

// Routing in real browsers: a transfer from Support L1 to a named L2 agent with a comment,
// accepted from the Transferred tab, and a round-robin Sales chat that lands in the agent's
// My Active on its own, each announced by an alert, all without a reload.

t.test('transfer to a named agent, and round robin, in real browsers', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true, online: false })
  const [aliceSide, carolSide, customerSide, buyerSide] = [
    await openBrowser(t, 'alice'), await openBrowser(t, 'carol'), await openBrowser(t, 'customer'), await openBrowser(t, 'buyer')
  ]
  const [alice, carol, customer, buyer] = [aliceSide.page, carolSide.page, customerSide.page, buyerSide.page]

  await openConsole(alice, url, 'alice')
  await alice.getByRole('switch', { name: 'Available' }).check()
  await alice.getByText('Taking chats', { exact: true }).waitFor(wait)
  await openConsole(carol, url, 'carol')
  await carol.getByLabel('Chats at once').selectOption('2')
  await carol.getByRole('switch', { name: 'Available' }).check()
  await carol.getByText('Taking chats', { exact: true }).waitFor(wait)
  await markPage(alice)
  await markPage(carol)

  // A customer asks Support; alice (Support L1) takes it from her queue.
  await customer.goto(`${url}/livechat/start`)
  await customer.getByLabel('Department').selectOption({ label: 'Support' })
  await customer.getByLabel('Name').fill('Dana Doyle')
  await customer.getByLabel('Email').fill('dana@customer.example')
  await customer.getByLabel('Question').fill('I need local admin rights to install a driver')
  await pressStartChat(customer)
  await customer.waitForURL(/\/livechat\/chat\/\d+$/, wait)
  await alice.locator('[data-lc-alert="queued"]').waitFor({ state: 'attached', ...wait })
  t.pass('alice is alerted to the queued chat')
  await alice.getByRole('button', { name: 'Accept' }).click()
  await customer.getByText('You are chatting with Alice Adams').waitFor(wait)

  // My Active's one Actions menu, opened from the row's menu button by the keyboard: Down opens
  // it on its first item, Escape closes it and gives the focus back to the button.
  const actions = alice.getByRole('button', { name: 'Actions for the chat with Dana Doyle' })
  t.equal(await actions.getAttribute('aria-haspopup'), 'menu')
  await actions.focus()
  await alice.keyboard.press('ArrowDown')
  const transfer = alice.getByRole('menuitem', { name: 'Transfer…' })
  await transfer.waitFor(wait)
  t.equal(await actions.getAttribute('aria-expanded'), 'true', 'the button says the menu is open')
  t.ok(await transfer.evaluate((el) => el === document.activeElement), 'the focus is on the first item')
  t.match(await transfer.getAttribute('hx-get') ?? '', /\/livechat\/console\/chats\/\d+\/transfer$/, 'the item is filled in with the row\'s chat')
  await alice.keyboard.press('Escape')
  await alice.getByRole('menu', { name: 'Chat actions' }).waitFor({ state: 'hidden', ...wait })
  t.equal(await actions.getAttribute('aria-expanded'), 'false')
  t.ok(await actions.evaluate((el) => el === document.activeElement), 'Escape gives the focus back to the button')

  // She transfers it from that menu to Carol in Support L2, with a comment for Carol's eyes only.
  await actions.click()
  await transfer.click()
  await alice.getByLabel('New group').selectOption({ label: 'Support L2' })
  await alice.getByLabel('New agent').selectOption({ label: 'Carol Chen (available) · Support L2, Sales' })
  await alice.getByLabel(/Transfer comment/).fill('Driver install needs L2 rights; customer is on Windows 11')
  await alice.getByRole('form', { name: /Transfer chat/ }).getByRole('button', { name: 'Transfer' }).click()
  await alice.getByText('This chat belongs to another agent.').waitFor(wait)
  t.pass('alice\'s reply box closes')
  await customer.getByText(/You are being transferred to Carol Chen/).waitFor(wait)
  await customer.getByText('Waiting for Carol Chen to join').waitFor(wait)
  t.equal(await customer.getByText(/L2 rights/).count(), 0, 'the customer never sees the comment')

  // Carol finds it under Transferred, live, with the comment, and accepts it.
  const transferred = carol.getByRole('region', { name: /Transferred/ })
  await transferred.getByText('Driver install needs L2 rights; customer is on Windows 11').waitFor(wait)
  await carol.locator('[data-lc-alert="transferred"]').waitFor({ state: 'attached', ...wait })
  t.pass('carol is alerted and sees the transfer comment')
  await transferred.getByRole('button', { name: 'Accept' }).click()
  await customer.getByText('You are chatting with Carol Chen').waitFor(wait)
  await carol.getByText(/Transferred by Alice Adams/).waitFor(wait)
  await send(carol, 'Hi Dana, Carol from level 2 here.')
  await expectMessages(t, customer, ['I need local admin rights to install a driver', 'Hi Dana, Carol from level 2 here.'], 'the customer')

  // A Sales chat goes to carol by round robin: it opens in her console on its own.
  await buyer.goto(`${url}/livechat/start`)
  await buyer.getByLabel('Department').selectOption({ label: 'Sales' })
  await buyer.getByLabel('Name').fill('Ben Buyer')
  await buyer.getByLabel('Email').fill('ben@customer.example')
  await buyer.getByLabel('Question').fill('Can I get a quote for 40 licences?')
  await pressStartChat(buyer)
  await buyer.getByText('You are chatting with Carol Chen').waitFor(wait)
  const myActive = carol.getByRole('region', { name: /My Active/ })
  await myActive.getByRole('link', { name: /Ben Buyer/ }).waitFor(wait)
  await carol.locator('[data-lc-alert="assigned"]').waitFor({ state: 'attached', ...wait })
  t.pass('the round-robin chat is in carol\'s My Active with an alert')
  await buyer.getByRole('textbox', { name: 'Message' }).fill('Hello?')
  await buyer.getByRole('button', { name: 'Send', exact: true }).click()
  await myActive.locator('[data-lc-unread]:not([hidden])').waitFor(wait)
  t.pass('a message in a chat not on screen shows an unread badge')
  await myActive.getByRole('link', { name: /Ben Buyer/ }).click()
  await expectMessages(t, carol, ['Can I get a quote for 40 licences?', 'Hello?'], 'carol, in the assigned chat')
  t.equal(await myActive.locator('[data-lc-unread]:not([hidden])').count(), 0, 'opening it clears the badge')

  t.ok(await stillSamePage(alice) && await stillSamePage(carol), 'both consoles updated without a reload')
  const sides = [aliceSide, carolSide, customerSide, buyerSide]
  t.strictSame(sides.flatMap((s) => s.pageErrors), [], 'no script errors')
  t.strictSame(sides.flatMap((s) => s.consoleErrors), [], 'no console errors')
})
