import t from 'tap'
import { build } from '../helpers/build.ts'
import { chatWithAlice, missing, openBrowser, stillSamePage, wait } from '../helpers/browser.ts'

// The Resources panel in real browsers (docs/features.md#resources): Alice opens
// it beside Dana's conversation (loaded only then), finds the VPN article for Dana's
// question, searches again, pins one and shares one; Dana sees the card in her window.

t.test('Resources beside a chat in real browsers', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const [aliceSide, danaSide] = [await openBrowser(t, 'alice'), await openBrowser(t, 'dana')]
  const [alice, dana] = [aliceSide.page, danaSide.page]

  await chatWithAlice(alice, dana, url, 'My VPN will not connect from home')

  const slot = alice.locator('.lc-pane:not([hidden]) .lc-resources')
  // The pane arrives over the socket after Accept; the slot is in it, hidden.
  await slot.waitFor({ ...wait, state: 'attached' })
  t.same([await slot.count(), await slot.isVisible(), await slot.innerHTML()], [1, false, ''], 'closed, and empty, until asked for')
  const panel = alice.getByRole('complementary', { name: /Resources for chat/ })
  const toggle = alice.getByRole('button', { name: 'Resources', exact: true })
  await toggle.click()
  await panel.getByRole('link', { name: /Connect to the VPN on Windows/ }).waitFor(wait)
  t.equal(await toggle.getAttribute('aria-expanded'), 'true')
  t.equal(await panel.getByRole('searchbox').inputValue(), 'My VPN will not connect from home', 'the question is the first search')
  t.ok(await alice.locator('.lc-conversation').isVisible(), 'the conversation stays beside it')
  const [conversationBox, panelBox] = [await alice.locator('.lc-pane:not([hidden]) .lc-conversation').boundingBox(), await panel.boundingBox()]
  t.ok(conversationBox && panelBox && panelBox.x >= conversationBox.x + conversationBox.width - 1, 'to the right of the conversation on a wide screen')

  await panel.getByRole('searchbox').fill('how do I')
  await panel.getByRole('button', { name: 'Search' }).click()
  await panel.getByText('Type a few words that describe the problem').waitFor(wait)
  await panel.getByRole('searchbox').fill('printer queue')
  await panel.getByRole('button', { name: 'Search' }).click()
  await panel.getByText('Found for “printer queue”').waitFor(wait)
  t.equal(await panel.getByText('Type a few words that describe the problem').count(), 0, 'the refusal is gone')

  const printerCard = panel.locator('.lc-resources__article').filter({ has: alice.getByRole('link', { name: /Clear a stuck printer queue/ }) })
  await printerCard.getByRole('button', { name: 'Pin' }).click()
  await alice.getByText('Pinned “Clear a stuck printer queue” to the chat').waitFor(wait)
  await printerCard.getByRole('button', { name: 'Unpin', exact: true }).waitFor(wait)
  await panel.getByRole('region', { name: 'Pinned articles' }).getByRole('link', { name: 'Clear a stuck printer queue' }).waitFor(wait)

  await printerCard.getByRole('button', { name: /Share Clear a stuck printer queue/ }).click()
  await alice.getByText('Shared “Clear a stuck printer queue” with the customer').waitFor(wait)
  await alice.locator('.lc-pane:not([hidden]) .lc-kb-card').getByRole('link', { name: /Clear a stuck printer queue/ }).waitFor(wait)
  const card = dana.locator('.lc-kb-card')
  await card.getByRole('link', { name: /Clear a stuck printer queue/ }).waitFor(wait)
  t.match(await card.getByRole('link').getAttribute('href'), /^\/kb\/\d+$/)
  t.pass('dana sees the shared article in her window')

  await panel.getByRole('button', { name: 'Close Resources' }).click()
  t.notOk(await panel.isVisible())
  t.equal(await toggle.getAttribute('aria-expanded'), 'false')
  await toggle.click()
  t.ok(await panel.getByText('Found for “printer queue”').isVisible(), 'opened again as it was left, not reloaded')

  t.ok(await stillSamePage(alice), 'no reload on the agent side')
  t.same([...aliceSide.pageErrors, ...danaSide.pageErrors], [], 'no script errors')
  t.same([...aliceSide.consoleErrors, ...danaSide.consoleErrors].filter((e) => !/status of 422 .*\/resources\/search\?q=how\+do\+I\)$/.test(e)), [], 'no console errors but the refused search')
})
