import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import t from 'tap'
import type { Page } from 'playwright-core'
import { agentSession, build, startChat } from '../helpers/build.ts'
import { missing, openBrowser, openConsole, wait } from '../helpers/browser.ts'

// docs/features.md#accessibility: the pages people work in all day pass axe-core's rules (WCAG
// 2.x A and AA and its best practices) with no violation of any impact, on both sides, at a
// desktop and a phone. axe is evaluated through the browser's debugging protocol, not as an
// inline script, so the pages keep their content policy while it runs.

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

interface Violation { id: string, impact: string | null, help: string, nodes: Array<{ target: string[] }> }

/** axe's violations on the page as it stands, each as one readable line. */
async function violations (page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: Violation[] }> } }).axe
    return (await axe.run(document, { resultTypes: ['violations'] })).violations
  }) as Violation[]
  return found.map((v) => `${v.impact ?? 'unknown'} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')})`)
}

const sizes = [{ width: 1440, height: 900 }, { width: 360, height: 740 }]

t.test('the console, a chat, the lists, the settings and the customer window pass axe', { skip: missing }, async (t) => {
  const { app, url } = await build(t, { listen: true })
  const { chatId, cookie } = await startChat(app, { question: 'My VPN will not connect' })
  const alice = await agentSession(app, 'alice')
  await alice.post(`/livechat/console/chats/${chatId}/accept`)
  await alice.post(`/livechat/console/chats/${chatId}/messages`, { body: 'Hi, which VPN client do you use?' })

  const agent = await openBrowser(t, 'alice')
  await openConsole(agent.page, url, 'alice')
  const admin = await openBrowser(t, 'admin')
  await openConsole(admin.page, url, 'admin')
  const guest = await openBrowser(t, 'guest')
  const [name, value] = cookie.split('; ').find((c) => c.startsWith(`lc_chat_${chatId}=`))!.split('=')
  await guest.page.context().addCookies([{ name: name!, value: value!, url }])
  const visitor = await openBrowser(t, 'visitor')

  const pages: Array<{ who: Page, path: string, ready?: string }> = [
    { who: agent.page, path: '/livechat/console', ready: '.lc-topbar' },
    { who: agent.page, path: `/livechat/console/chats/${chatId}`, ready: '.lc-messages' },
    { who: agent.page, path: '/livechat/console/lists/my-active', ready: 'table.lc-table' },
    { who: admin.page, path: '/livechat/console/lists/global-active', ready: 'table.lc-table' },
    { who: admin.page, path: '/livechat/admin/settings', ready: 'form' },
    { who: guest.page, path: `/livechat/chat/${chatId}`, ready: 'textarea' },
    { who: visitor.page, path: '/livechat/start', ready: 'form' }
  ]
  for (const size of sizes) {
    for (const { who, path, ready } of pages) {
      await who.setViewportSize(size)
      const res = await who.goto(`${url}${path}`)
      t.equal(res?.status(), 200, `${path} opens`)
      if (ready) await who.locator(ready).first().waitFor(wait)
      await who.waitForLoadState('networkidle', wait).catch(() => {})
      const found = await violations(who)
      for (const v of found) t.comment(v)
      t.strictSame(found, [], `${path} at ${size.width}×${size.height}: no axe violations`)
    }
  }
})
