import t from 'tap'
import { build } from '../helpers/build.ts'
import { chatWithAlice, missing, openBrowser, send, stillSamePage, wait } from '../helpers/browser.ts'

// Tickets from the transcript and Abandon in real browsers: Alice files an incident from
// Dana's chat with Create Ticket, finds the transcript and the link back on the desk's
// ticket page, then abandons the chat from the Actions menu; the incident becomes Cancelled
// and Dana's window says the chat was closed.

t.test('Create Incident and Abandon in real browsers', { skip: missing }, async (t) => {
  const { url, knex } = await build(t, { listen: true })
  const [aliceSide, danaSide] = [await openBrowser(t, 'alice'), await openBrowser(t, 'dana')]
  const [alice, dana] = [aliceSide.page, danaSide.page]

  await chatWithAlice(alice, dana, url, 'The plotter on floor 2 prints blank pages')
  await send(dana, 'It started this morning')
  await alice.locator('.lc-msg').filter({ hasText: 'It started this morning' }).waitFor(wait)

  await alice.getByText('Create Ticket', { exact: true }).click()
  await alice.getByRole('button', { name: 'Create Incident' }).click()
  const notice = alice.locator('#lc-notice').getByText(/created from the chat and listed in Related Items/)
  await notice.waitFor(wait)
  const ref = await alice.locator('#lc-notice a').innerText()
  t.match(ref, /^INC\d{6}$/)
  await alice.getByRole('region', { name: /Related items of chat/ }).getByRole('link', { name: ref }).waitFor(wait)
  t.pass('the incident is listed in Related Items, whose tab opened')

  const desk = await alice.context().newPage()
  await desk.goto(`${url}/tickets/${ref}`)
  await desk.locator('pre.description').getByText(/Dana Doyle: It started this morning/).waitFor(wait)
  await desk.getByRole('link', { name: /^From live chat #\d+$/ }).click()
  await desk.waitForURL(/\/livechat\/console\/chats\/\d+$/, wait)
  await desk.getByText('The plotter on floor 2 prints blank pages').first().waitFor(wait)
  t.pass('the ticket page shows the transcript and opens the chat again')
  await desk.close()

  await alice.locator('.lc-pane:not([hidden])').getByRole('button', { name: 'Abandon' }).last().click()
  const prompt = alice.getByRole('alertdialog', { name: /Abandon chat #\d+/ })
  await prompt.getByText(`Ticket ${ref} will be set to Cancelled (Abandoned chat). Abandon this chat?`).waitFor(wait)
  await prompt.getByRole('button', { name: 'OK' }).click()
  await alice.getByText(new RegExp(`Chat #\\d+ abandoned; ${ref} set to Cancelled`)).waitFor(wait)
  await dana.getByText('Alice Adams closed the chat as abandoned').waitFor(wait)
  t.pass('both sides see the chat closed')
  t.match(await knex('tickets').where({ ref }).first(), { status: 'Cancelled', status_reason: 'Abandoned chat' })

  t.ok(await stillSamePage(alice), 'alice never reloaded')
  for (const side of [aliceSide, danaSide]) t.same(side.pageErrors, [])
  for (const side of [aliceSide, danaSide]) t.same(side.consoleErrors, [])
})
