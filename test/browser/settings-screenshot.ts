// The README's screenshot of the settings screen (docs/screenshots/settings.png), at 1440×900,
// after an administrator changed one setting with the keyboard alone; with `--narrow` it also
// writes a 360 px wide one to the temp directory, for checking the layout of a phone.
// Run with `npx tsx test/browser/settings-screenshot.ts`: it starts the demo help desk on a
// throwaway SQLite database (with one setting passed in code, so a fixed one shows), and exits.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import knexFactory from 'knex'
import { chromium } from 'playwright-core'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { knexConfig } from '../../knexfile.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

const work = await mkdtemp(join(tmpdir(), 'lc-settings-shot-'))
const knex = knexFactory(knexConfig({}, join(work, 'livechat.sqlite3')))
await prepareDatabase(knex)
const app = await buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false, settings: { chatStartsPerMinute: 60 } } })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
const context = await chromium.launchPersistentContext(join(work, 'profile'), {
  executablePath: '/usr/bin/chromium', headless: true, args, viewport: { width: 1440, height: 900 }
})
try {
  const page = context.pages()[0] ?? await context.newPage()
  page.setDefaultTimeout(10_000)
  page.on('pageerror', (err) => { console.error(err.message) })
  await page.goto(`${url}/login`)
  await page.getByLabel('Username').fill('admin')
  await page.getByLabel('Password').fill('demo')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  // The host's admin navigation leads to the screen.
  await page.getByRole('link', { name: 'Live chat settings' }).click()
  await page.waitForURL(/\/livechat\/admin\/settings$/)

  // Keyboard only: Tab to Longest chat message, type, Tab on to Save and press Enter.
  await page.keyboard.press('Tab')
  let guard = 0
  while (await page.evaluate(() => document.activeElement?.getAttribute('name')) !== 'maxMessageLength' && guard++ < 80) await page.keyboard.press('Tab')
  if (guard >= 80) throw new Error('Longest chat message cannot be reached with Tab')
  await page.keyboard.press('Control+A')
  await page.keyboard.type('4000')
  while (!(await page.evaluate(() => document.activeElement?.textContent ?? '')).startsWith('Save') && guard++ < 120) await page.keyboard.press('Tab')
  await page.keyboard.press('Enter')
  await page.locator('.lc-notice', { hasText: 'Saved and applied on every instance' }).waitFor()
  await page.locator('[data-setting="maxMessageLength"][data-source="stored"]').waitFor()
  await page.getByRole('button', { name: /close|dismiss/i }).first().click().catch(() => {})
  await page.evaluate(() => { window.scrollTo(0, 0) })
  await page.screenshot({ path: join(root, 'docs/screenshots/settings.png') })
  console.log('docs/screenshots/settings.png')

  if (process.argv.includes('--narrow')) {
    await page.setViewportSize({ width: 360, height: 800 })
    const wide = await page.evaluate(() => document.documentElement.scrollWidth)
    console.log(`at 360 px the page is ${wide} px wide`)
    const over = await page.evaluate(() => Array.from(document.querySelectorAll('body *'))
      .filter((e) => e.getBoundingClientRect().right > 362 && !e.closest('.lc-setting__scroll'))
      .slice(0, 8).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`))
    if (over.length > 0) console.log(`wider than the screen: ${over.join(', ')}`)
    await page.screenshot({ path: join(tmpdir(), 'lc-settings-360.png'), fullPage: true })
    console.log(join(tmpdir(), 'lc-settings-360.png'))
  }
} finally {
  await context.close()
  await app.close()
  await knex.destroy()
  await rm(work, { recursive: true, force: true })
}
