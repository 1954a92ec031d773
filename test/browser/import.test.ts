import t from 'tap'
import { build } from '../helpers/build.ts'
import { markPage, missing, openBrowser, stillSamePage, wait } from '../helpers/browser.ts'

// Import from the help desk in a real browser (docs/features.md#import-from-the-help-desk): the
// demo desk's Billing is New and ticked, Support is Already here; Import makes Billing with
// its member and says so, without a reload.

t.test('import the desk\'s departments in a real browser', { skip: missing }, async (t) => {
  const { url } = await build(t, { listen: true })
  const { page } = await openBrowser(t, 'admin')
  await page.goto(`${url}/login`)
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill('demo')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), wait)
  await page.goto(`${url}/livechat/admin/groups`)

  const section = page.getByRole('region', { name: 'Import from the help desk' })
  const billing = section.getByRole('checkbox', { name: /^Billing New/ })
  const support = section.getByRole('checkbox', { name: /^Support Already here/ })
  t.ok(await billing.isChecked(), 'a new department is ticked')
  t.notOk(await support.isChecked(), 'one already here is not')
  t.ok(await section.getByRole('checkbox', { name: /Add the desk's members/ }).isChecked())
  await markPage(page)

  await section.getByRole('button', { name: 'Import' }).click()
  await section.getByText('Created:').waitFor(wait)
  t.match(await section.getByRole('status').innerText(), /Created: Billing[\s\S]*Members added \(1\): Billing/)
  await page.getByRole('region', { name: 'Departments' }).getByRole('heading', { name: 'Billing' }).first().waitFor(wait)
  t.pass('the departments list shows Billing')
  t.ok(await section.getByRole('checkbox', { name: /^Billing Already here/ }).isVisible(), 'Billing is marked Already here now')
  t.ok(await stillSamePage(page), 'no reload')
})
