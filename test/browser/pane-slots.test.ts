import t from 'tap'
import { build } from '../helpers/build.ts'
import { aliceTakesDanaAndErin, missing, openBrowser, openConsole, wait } from '../helpers/browser.ts'

// A chat the console page draws as a slot (its pane loads when first shown) in a real
// browser: Transfer… from its row waits for the pane and opens its form there, and a pane the
// server refuses says so and offers to try again, instead of saying it is opening for ever.

t.test('a slot\'s Transfer… and a slot that could not be loaded, in a real browser', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const [aliceSide, danaSide, erinSide] = [await openBrowser(t, 'alice'), await openBrowser(t, 'dana'), await openBrowser(t, 'erin')]
  const [alice, dana, erin] = [aliceSide.page, danaSide.page, erinSide.page]

  await openConsole(alice, url, 'alice')
  await alice.getByRole('switch', { name: 'Available' }).check()
  await alice.getByText('Taking chats', { exact: true }).waitFor(wait)
  await aliceTakesDanaAndErin(alice, dana, erin, url)

  const myActive = alice.getByRole('region', { name: /My Active/ })
  const danaSlot = alice.locator('.lc-pane[data-lc-slot][aria-label="Chat with Dana Doyle"]')
  const danaPane = alice.locator('.lc-pane:not([data-lc-slot])[aria-label="Chat with Dana Doyle"]')
  async function reopen (): Promise<void> {
    const socketOpened = alice.waitForEvent('websocket', wait)
    await alice.reload()
    await socketOpened
    await alice.locator('.lc-pane:not([hidden])[aria-label="Chat with Erin Evans"]').waitFor(wait)
    t.equal(await danaSlot.count(), 1, 'the console draws Erin\'s pane; Dana\'s chat is a slot')
  }

  // Transfer… from the row of a chat not drawn yet: the form opens in its pane once loaded.
  await reopen()
  await myActive.getByRole('button', { name: 'Actions for the chat with Dana Doyle' }).click()
  await alice.getByRole('menuitem', { name: 'Transfer…' }).click()
  const form = danaPane.getByRole('form', { name: /Transfer chat/ })
  await form.waitFor(wait)
  t.ok(await form.isVisible(), 'the transfer form is open in Dana\'s pane, which is shown')
  await form.getByLabel('New group').waitFor(wait)
  t.pass('with its fields')

  // The server refuses the pane once (as it does a chat no longer the agent's): the slot says
  // so, and Try again brings the pane when the server answers.
  await reopen()
  let refused = 0
  await alice.route('**/livechat/console/chats/*/pane', async (route) => {
    refused++
    await route.fulfill({ status: 404, contentType: 'text/html', body: '' })
  })
  await myActive.getByRole('link', { name: /Dana Doyle/ }).click()
  const failed = danaSlot.getByRole('alert')
  await failed.waitFor(wait)
  t.match(await failed.textContent(), /This chat could not be opened/, 'the slot says its chat could not be opened')
  t.equal(await danaSlot.getAttribute('aria-busy'), null, 'and is no longer busy')
  t.equal(refused, 1)
  await alice.unroute('**/livechat/console/chats/*/pane')
  await failed.getByRole('button', { name: 'Try again' }).click()
  await danaPane.getByText('My printer keeps jamming').waitFor(wait)
  t.pass('Try again loads the pane with the chat')
  t.equal(await danaSlot.count(), 0, 'the slot is gone')
  t.strictSame([...aliceSide.pageErrors, ...danaSide.pageErrors, ...erinSide.pageErrors], [], 'no script errors')
})
