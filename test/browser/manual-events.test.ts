import t from 'tap'
import { build } from '../helpers/build.ts'
import { markPage, missing, openBrowser, openConsole, pressStartChat, stillSamePage, wait } from '../helpers/browser.ts'

// Custom fields and manual events in real browsers: the administrator makes a field asked
// on the pre-chat form, Dana fills it in starting her chat, Alice sees it atop the
// conversation and changes it in the Custom Fields tab, then puts the chat on hold from the
// Actions menu and Dana sees it; the agents-only escalation never reaches Dana.

t.test('custom fields and manual events in real browsers', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const [adminSide, aliceSide, danaSide] = [await openBrowser(t, 'admin'), await openBrowser(t, 'alice'), await openBrowser(t, 'dana')]
  const [admin, alice, dana] = [adminSide.page, aliceSide.page, danaSide.page]

  await openConsole(admin, url, 'admin')
  await admin.locator('.lc-topbar summary', { hasText: 'Admin' }).click()
  await admin.getByRole('link', { name: 'Custom fields and events' }).click()
  await admin.getByRole('heading', { name: 'Custom fields', exact: true }).waitFor(wait)
  const newField = admin.getByRole('complementary', { name: 'New field' })
  await newField.getByRole('button', { name: 'Create field' }).click()
  await newField.getByText('Label is required').waitFor(wait)
  t.pass('an empty form is refused beside its fields')
  await newField.getByLabel('Label').fill('Laptop model')
  await newField.getByLabel('Key').fill('laptop_model')
  await newField.getByLabel('Ask the customer on the pre-chat form').check()
  await newField.getByRole('button', { name: 'Create field' }).click()
  await admin.getByText('Field Laptop model created').waitFor(wait)
  await admin.getByRole('heading', { name: 'Laptop model' }).waitFor(wait)

  await openConsole(alice, url, 'alice')
  await alice.getByRole('switch', { name: 'Available' }).check()
  await alice.getByText('Taking chats', { exact: true }).waitFor(wait)
  await markPage(alice)

  await dana.goto(`${url}/livechat/start`)
  await dana.getByLabel('Name').fill('Dana Doyle')
  await dana.getByLabel('Email').fill('dana@customer.example')
  await dana.getByLabel('Order number').fill('forty-four')
  await dana.getByLabel('Laptop model').fill('ThinkPad X1')
  await dana.getByLabel('Question').fill('My laptop will not charge')
  await dana.getByRole('button', { name: 'Start chat' }).click()
  await dana.getByText('Order number must be a number, like 4471 or 12.5').waitFor(wait)
  t.equal(await dana.getByLabel('Laptop model').inputValue(), 'ThinkPad X1', 'what Dana typed is kept')
  await dana.getByLabel('Order number').fill('4471')
  await pressStartChat(dana)
  await dana.waitForURL(/\/livechat\/chat\/\d+$/, wait)

  await alice.getByRole('button', { name: 'Accept' }).click()
  await dana.getByText('You are chatting with Alice Adams').waitFor(wait)
  const line = alice.locator('.lc-field-values')
  await line.filter({ hasText: 'Order number: 4471 · Laptop model: ThinkPad X1' }).waitFor(wait)
  t.pass('alice sees the answers atop the conversation')

  await alice.getByRole('tab', { name: 'Custom Fields' }).click()
  const tab = alice.getByRole('region', { name: /Custom fields of chat/ })
  await tab.getByLabel(/Laptop model/).fill('ThinkPad X1 Carbon')
  await tab.getByLabel(/Product/).selectOption('Laptop')
  await tab.getByLabel(/Order number/).fill('44 71 x')
  await tab.getByRole('button', { name: 'Save fields' }).click()
  await tab.getByText('Order number must be a number').waitFor(wait)
  t.equal(await tab.getByLabel(/Laptop model/).inputValue(), 'ThinkPad X1 Carbon', 'kept after the refusal')
  await tab.getByLabel(/Order number/).fill('4471')
  await tab.getByRole('button', { name: 'Save fields' }).click()
  await tab.getByText('Saved', { exact: true }).waitFor(wait)
  await alice.getByRole('tab', { name: 'Conversation' }).click()
  await line.filter({ hasText: 'Order number: 4471 · Product: Laptop · Laptop model: ThinkPad X1 Carbon' }).waitFor(wait)
  t.pass('the line shows the change')

  await alice.getByText('Actions', { exact: true }).last().click()
  await alice.getByRole('button', { name: 'Put on hold' }).click()
  await dana.getByText('The agent has put the chat on hold; please wait').waitFor(wait)
  await alice.locator('.lc-msg--event').filter({ hasText: 'The agent has put the chat on hold; please wait' }).waitFor(wait)
  t.pass('both sides see the event')
  await alice.locator('summary', { hasText: 'Actions' }).last().click()
  await alice.getByRole('button', { name: 'Escalation requested' }).click()
  await alice.locator('.lc-msg--note').filter({ hasText: 'Escalation to level 2 requested' }).waitFor(wait)
  await alice.getByRole('tab', { name: 'History' }).click()
  await alice.getByText('Set Laptop model to ThinkPad X1 Carbon').waitFor(wait)
  await alice.getByText('Performed manual event Put on hold').waitFor(wait)
  t.equal(await dana.getByText('Escalation to level 2').count(), 0, 'dana never sees the agents-only note')
  await dana.reload()
  await dana.getByText('The agent has put the chat on hold; please wait').waitFor(wait)
  t.equal(await dana.getByText('Escalation to level 2').count(), 0, 'nor after a reload')

  t.ok(await stillSamePage(alice), 'alice never reloaded')
  for (const side of [adminSide, aliceSide, danaSide]) t.same(side.pageErrors, [])
  // Chromium logs every 4xx answer; the refused forms' 422s are the ones expected.
  for (const side of [adminSide, aliceSide, danaSide]) t.same(side.consoleErrors.filter((e) => !/status of 422/.test(e)), [])
})
