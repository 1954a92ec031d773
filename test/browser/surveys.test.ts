import t from 'tap'
import { build } from '../helpers/build.ts'
import { markPage, missing, openBrowser, openConsole, pressStartChat, send, stillSamePage, wait } from '../helpers/browser.ts'

// The post-chat survey in real browsers: alice ends dana's chat, the survey arrives in dana's
// open window, a form without a rating is refused beside the field, dana rates, and alice
// finds it in the Survey and History tabs; then Email Transcript and Print from the header.

t.test('dana rates a chat alice ended; alice reads it in the Survey tab', { skip: missing }, async (t) => {
  const { url, knex } = await build(t, { listen: true })
  const agentSide = await openBrowser(t, 'alice')
  const customerSide = await openBrowser(t, 'dana')
  const agent = agentSide.page
  const customer = customerSide.page
  await openConsole(agent, url, 'alice')
  await markPage(agent)

  // dana is signed in to the portal: her session, not only the chat's cookie, makes the chat hers.
  await customer.goto(`${url}/login`)
  await customer.getByLabel('Username').fill('dana')
  await customer.getByLabel('Password').fill('demo')
  await customer.getByRole('button', { name: 'Sign in' }).click()
  await customer.waitForURL((u) => !u.pathname.startsWith('/login'), wait)
  await customer.goto(`${url}/livechat/start`)
  await customer.getByLabel('Question').fill('The printer on floor 3 is offline')
  await pressStartChat(customer)
  await customer.waitForURL(/\/livechat\/chat\/\d+$/, wait)
  const chatId = Number(/\/chat\/(\d+)$/.exec(customer.url())![1])
  t.equal(await customer.getByRole('heading', { name: 'How was this chat?' }).count(), 0, 'no survey while the chat is open')
  await markPage(customer)

  await agent.getByRole('button', { name: 'Accept' }).click()
  await customer.getByText('You are chatting with Alice Adams').waitFor(wait)
  await send(agent, 'It is back online now.')
  await customer.getByText('It is back online now.').waitFor(wait)
  await agent.getByRole('button', { name: 'End Chat' }).click()
  await agent.getByRole('dialog', { name: /^End chat #\d+/ }).getByRole('button', { name: 'Yes, end the chat' }).click()

  // The survey arrives with the chat-ended push, under the closing line.
  const survey = customer.getByRole('region', { name: 'How was this chat?' })
  await survey.waitFor(wait)
  t.ok(await customer.getByText(/This chat has ended\./).isVisible(), 'the reply box closed')
  t.equal(await survey.getByRole('radio').count(), 5)
  for (const name of ['1 – very poor', '2 – poor', '3 – fair', '4 – good', '5 – excellent']) {
    t.equal(await survey.getByRole('radio', { name }).count(), 1, `a radio labelled "${name}"`)
  }
  await survey.getByLabel(/Anything you would like to tell us\?/).fill('Quick and friendly')
  await survey.getByRole('button', { name: 'Send feedback' }).click()
  await survey.getByRole('alert').filter({ hasText: 'Choose a rating from 1 (very poor) to 5 (excellent)' }).waitFor(wait)
  t.equal(await survey.getByLabel(/Anything you would like to tell us\?/).inputValue(), 'Quick and friendly', 'the comment is kept')
  await survey.getByRole('radio', { name: '4 – good' }).check()
  await survey.getByRole('button', { name: 'Send feedback' }).dblclick()
  await customer.getByText('Thank you for your feedback').waitFor(wait)
  t.equal(await customer.getByRole('radio').count(), 0, 'the form is gone')
  t.equal((await knex('lc_chat_surveys').where('chat_id', chatId)).length, 1, 'a double click stored one survey')
  t.ok(await stillSamePage(customer), 'no reload on the customer side')
  await customer.reload()
  await customer.getByText('Thank you for your feedback').waitFor(wait)
  t.pass('a reload still thanks, and offers no second survey')

  await agent.getByRole('tab', { name: 'Survey' }).click()
  const tab = agent.getByRole('region', { name: `Survey of chat #${chatId}` })
  await tab.getByText('4 of 5').waitFor(wait)
  t.ok(await tab.getByText('Quick and friendly').isVisible(), 'the comment is shown')
  await agent.getByRole('tab', { name: 'History' }).click()
  await agent.getByText('Rated the chat 4 of 5: “Quick and friendly”').waitFor(wait)

  // Email Transcript asks first, then says where it went; the demo desk's outbox has it.
  agent.once('dialog', (dialog) => { t.match(dialog.message(), /dana@customer\.example/); void dialog.accept() })
  await agent.getByLabel(/^More for chat #\d+$/).click()
  await agent.getByRole('button', { name: 'Email Transcript' }).click()
  await agent.getByText('Emailed the transcript to dana@customer.example').waitFor(wait)
  t.equal((await knex('mail_outbox').where('to_address', 'dana@customer.example')).length, 1)

  // Print (under More too) opens the printout in a new tab.
  if (!await agent.getByRole('link', { name: 'Print' }).isVisible()) await agent.getByLabel(/^More for chat #\d+$/).click()
  const [printout] = await Promise.all([agent.context().waitForEvent('page', wait), agent.getByRole('link', { name: 'Print' }).click()])
  await printout.getByRole('heading', { name: `Transcript of chat #${chatId}` }).waitFor(wait)
  t.ok(await printout.getByText('It is back online now.').isVisible())
  await printout.emulateMedia({ media: 'print' })
  t.equal(await printout.getByRole('button', { name: 'Print' }).isVisible(), false, 'the page\'s own tools are not printed')
  t.ok(await stillSamePage(agent), 'no reload on the agent side')

  t.same([...agentSide.pageErrors, ...customerSide.pageErrors], [])
  // Chromium logs every 4xx answer: the refused survey's 422 and the double click's 409 are expected.
  t.same([...agentSide.consoleErrors, ...customerSide.consoleErrors].filter((e) => !/status of (422|409) .*\/survey\)$/.test(e)), [])
})
