import t from 'tap'
import { agentSession, build, startChat } from '../helpers/build.ts'
import { markPage, missing, openBrowser, openConsole, stillSamePage, wait } from '../helpers/browser.ts'

// The Comments tab in a real browser: a refused empty comment, a resolution, a comment a
// supervisor adds arriving live, an edit and a delete, all without a reload.

t.test('comments in a real browser', { skip: missing }, async (t) => {
  const { app, url } = await build(t, { listen: true })
  const { chatId } = await startChat(app, { question: 'Outlook keeps asking for my password' })
  await (await agentSession(app, 'alice')).post(`/livechat/console/chats/${chatId}/accept`)
  const side = await openBrowser(t, 'alice')
  const page = side.page
  await openConsole(page, url, 'alice')
  await markPage(page)

  await page.getByRole('tab', { name: 'Comments' }).click()
  const tab = page.getByRole('region', { name: `Comments on chat #${chatId}` })
  await tab.getByText('No comments yet.', { exact: false }).waitFor(wait)
  t.pass('the tab opens empty')

  await tab.getByRole('button', { name: 'Add comment' }).click()
  await tab.getByRole('alert').filter({ hasText: 'Type a comment before saving it' }).waitFor(wait)
  t.pass('an empty comment is refused beside the field')

  await tab.getByLabel(/Add comment/).fill('Outlook profile was corrupt;\nrebuilt it with the customer')
  await tab.getByLabel('Mark as the resolution').check()
  await tab.getByRole('button', { name: 'Add comment' }).click()
  const first = tab.getByRole('listitem').filter({ hasText: 'rebuilt it' })
  await first.getByText('Resolution', { exact: true }).waitFor(wait)
  // The list may come by the socket before the answer that also resets the form.
  await page.waitForFunction((id) => (document.querySelector(`#lc-comment-form-${id} textarea`) as HTMLTextAreaElement | null)?.value === '', chatId, wait)
  t.pass('the form is empty again')
  t.equal(await tab.getByRole('alert').count(), 0, 'the refusal is gone')

  // A supervisor adds one from elsewhere: it appears at the top of alice's open tab.
  await (await agentSession(app, 'sam')).post(`/livechat/console/chats/${chatId}/comments`, { body: 'Please also check the mobile app' })
  await tab.getByRole('listitem').first().filter({ hasText: 'Sam Supervisor' }).waitFor(wait)
  t.equal(await tab.getByRole('listitem').first().getByRole('button', { name: 'Edit' }).count(), 0, 'alice may not change sam\'s comment')

  await first.getByRole('button', { name: 'Edit' }).click()
  const editor = tab.getByLabel('Edit comment')
  await editor.waitFor(wait)
  t.equal(await editor.inputValue(), 'Outlook profile was corrupt;\nrebuilt it with the customer')
  await editor.fill('Outlook profile was corrupt; rebuilt it')
  await tab.getByRole('button', { name: 'Save changes' }).click()
  await tab.getByRole('listitem').filter({ hasText: 'rebuilt it' }).getByText('(edited)').waitFor(wait)

  page.once('dialog', (dialog) => { void dialog.accept() })
  await tab.getByRole('listitem').filter({ hasText: 'rebuilt it' }).getByRole('button', { name: 'Delete' }).click()
  await page.getByText('Comment deleted').waitFor(wait)
  t.equal(await tab.getByRole('listitem').count(), 1, 'only sam\'s comment is left')

  await page.getByRole('tab', { name: 'History' }).click()
  await page.getByText('Added a comment and marked it as the resolution', { exact: false }).waitFor(wait)
  await page.getByText('Deleted a comment by Alice Adams, the resolution', { exact: false }).waitFor(wait)
  t.ok(await stillSamePage(page), 'no reload')
  t.same(side.pageErrors, [])
  // Chromium logs every 4xx answer; the refused empty comment's 422 is the one expected.
  t.same(side.consoleErrors.filter((e) => !/status of 422 .*\/comments\)$/.test(e)), [])
})
