import t from 'tap'
import { agentSession, build, startChat } from '../helpers/build.ts'
import { markPage, missing, openBrowser, openConsole, stillSamePage, wait } from '../helpers/browser.ts'

// Delete and Undelete in a real browser (docs/features.md#deleting-chats):
// the ticks reach Delete selected, the confirmation names them, the header's Delete asks
// in a dialog, and Deleted Items brings chats back.

t.test('delete selected, delete from the header and undelete, in a real browser', { skip: missing }, async (t) => {
  const { app, url } = await build(t, { listen: true })
  const alice = await agentSession(app, 'alice')
  const ended: number[] = []
  for (const name of ['Tick Tock', 'Head Er']) {
    const { chatId } = await startChat(app, { name, email: `${name.split(' ')[0]!.toLowerCase()}@customer.example` })
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    await alice.post(`/livechat/console/chats/${chatId}/end`)
    ended.push(chatId)
  }
  const [ticked, header] = ended as [number, number]
  const side = await openBrowser(t, 'alice')
  const page = side.page
  await openConsole(page, url, 'alice')

  // My Completed: tick one chat, Delete selected, confirm; the list drops it by itself.
  const socketOpened = page.waitForEvent('websocket', wait)
  await page.goto(`${url}/livechat/console/lists/my-completed`)
  await socketOpened
  await markPage(page)
  await page.getByRole('checkbox', { name: `Select the chat with Tick Tock (#${ticked})` }).check()
  await page.getByRole('button', { name: 'Delete selected' }).click()
  const confirm = page.getByRole('alertdialog', { name: 'Delete 1 chat?' })
  await confirm.waitFor(wait)
  t.match(await confirm.textContent(), `Chat #${ticked} (Tick Tock)`, 'the confirmation names the ticked chat')
  t.notMatch(await confirm.textContent(), 'Head Er', 'and only it')
  await confirm.getByRole('button', { name: 'Delete 1 chat' }).click()
  await page.getByText('1 deleted', { exact: true }).waitFor(wait)
  await page.locator(`#lc-list-row-${ticked}`).waitFor({ state: 'detached', ...wait })
  t.ok(await page.locator(`#lc-list-row-${header}`).isVisible(), 'the other chat stays')
  t.ok(await stillSamePage(page), 'no reload')

  // The header's Delete asks in a dialog; the pane then says the chat was deleted, with Undelete.
  await page.goto(`${url}/livechat/console/chats/${header}`)
  let asked = ''
  page.once('dialog', (dialog) => { asked = dialog.message(); void dialog.accept() })
  await page.getByRole('button', { name: 'Delete', exact: true }).click()
  await page.getByText('Deleted by Alice Adams on').waitFor(wait)
  t.match(asked, `Delete chat #${header} with Head Er? It moves to Deleted Items`)
  await page.getByRole('button', { name: 'Undelete' }).click()
  await page.getByText(`Chat #${header} with Head Er is back from Deleted Items`).waitFor(wait)
  await page.getByRole('button', { name: 'Delete', exact: true }).waitFor(wait)
  t.pass('undeleted where it was deleted: the chat\'s own pane is back')

  // Deleted Items: the chat deleted from the list, opened read-only, then undeleted from the list.
  await page.goto(`${url}/livechat/console/lists/deleted`)
  await page.getByRole('link', { name: 'Tick Tock' }).click()
  await page.waitForURL(`${url}/livechat/console/deleted/${ticked}`, wait)
  await page.getByText('Deleted the chat: it went to Deleted Items').waitFor(wait)
  await page.goBack()
  await page.getByRole('checkbox', { name: `Select the chat with Tick Tock (#${ticked})` }).check()
  await page.getByRole('button', { name: 'Undelete selected' }).click()
  await page.getByText('1 undeleted', { exact: true }).waitFor(wait)
  await page.locator(`#lc-list-row-${ticked}`).waitFor({ state: 'detached', ...wait })

  t.same(side.pageErrors, [], 'no script errors')
  t.same(side.consoleErrors, [], 'no console errors')
})
