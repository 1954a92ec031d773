import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import t from 'tap'
import { agentSession, build, login, startChat } from '../helpers/build.ts'

// docs/design.md §9: each side loads the shared core and its own script, minified once and
// kept by the browser for good under an address that changes with the content; the console's
// overlays come on first use, not with every page.

const publicDir = resolve(import.meta.dirname, '../../public')
const source = (file: string): string => readFileSync(resolve(publicDir, file), 'utf8')

/** The same-origin stylesheets and scripts a page names, in order. */
function assetsOf (html: string): string[] {
  return [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"|<script[^>]+src="([^"]+)"/g)].map((m) => m[1] ?? m[2]!)
}

t.test('assets', async (t) => {
  const { app } = await build(t)
  const { chatId, cookie: customer } = await startChat(app)
  // alice has the chat, so the console draws its pane: header, composer and all.
  const session = await agentSession(app, 'alice')
  t.equal((await session.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
  const alice = session.cookie
  const customerPage = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie: customer } })
  const consolePage = await app.inject({ url: '/livechat/console', headers: { cookie: alice } })
  t.equal(customerPage.statusCode, 200)
  t.equal(consolePage.statusCode, 200)
  const customerAssets = assetsOf(customerPage.body)
  const consoleAssets = assetsOf(consolePage.body)

  t.test('each side names the stylesheet, htmx and its own script, nothing of the other side', async (t) => {
    const built = /^\/livechat\/assets\/min\/(livechat\.[0-9a-f]{12}\.css|customer\.[0-9a-f]{12}\.js|console\.[0-9a-f]{12}\.js)$/
    t.same(customerAssets.map((u) => u.replace(/\.[0-9a-f]{12}\./, '.#.')), [
      '/livechat/assets/min/livechat.#.css', '/livechat/assets/vendor/htmx.min.js', '/livechat/assets/vendor/ext/hx-ws.min.js', '/livechat/assets/min/customer.#.js'
    ])
    t.same(consoleAssets.map((u) => u.replace(/\.[0-9a-f]{12}\./, '.#.')), [
      '/livechat/assets/min/livechat.#.css', '/livechat/assets/vendor/htmx.min.js', '/livechat/assets/vendor/ext/hx-ws.min.js', '/livechat/assets/min/console.#.js'
    ])
    for (const url of [...customerAssets, ...consoleAssets].filter((u) => u.includes('/min/'))) t.match(url, built)
    const start = await app.inject({ url: '/livechat/start' })
    t.match(start.body, /\/assets\/min\/customer\.[0-9a-f]{12}\.js/, 'the pre-chat form is the customer\'s too')
  })

  t.test('the scripts are the minified core and side: the customer\'s has none of the console\'s', async (t) => {
    const customerJs = await app.inject({ url: customerAssets.at(-1)! })
    const consoleJs = await app.inject({ url: consoleAssets.at(-1)! })
    t.equal(customerJs.statusCode, 200)
    t.match(customerJs.headers['content-type'], /^text\/javascript/)
    for (const res of [customerJs, consoleJs]) {
      t.notMatch(res.body, /\/\/ |\n {2}/, 'no comments, no indentation')
      t.match(res.body, /lc-csrf/, 'the core: the CSRF header')
    }
    t.match(customerJs.body, /lc-reply-sound/, 'the customer\'s own part')
    t.notMatch(customerJs.body, /lc-palette|lc-shortcuts|data-lc-emoji|lcTickSince|data-lc-canned/, 'no palette, shortcuts, emoji, durations or canned replies')
    t.match(consoleJs.body, /lc-palette-input/, 'the console\'s own part')
    t.notMatch(consoleJs.body, /lc-reply-sound/)
    // Names of attributes and events stay as they are; comments, spaces and local names go.
    t.ok(customerJs.rawPayload.length < (source('js/core.js').length + source('js/customer.js').length) * 0.7, 'under 70% of the readable sources')
    t.ok(consoleJs.rawPayload.length < (source('js/core.js').length + source('js/console.js').length) * 0.7, 'under 70% of the readable sources')
    const css = await app.inject({ url: customerAssets[0]! })
    t.match(css.headers['content-type'], /^text\/css/)
    t.ok(css.rawPayload.length < source('livechat.css').length * 0.9, 'the stylesheet is minified too')
    t.match(css.body, /\.lc-confirm\{/)
  })

  t.test('kept for good under its hash, revalidated by ETag; an unknown or malformed address is refused', async (t) => {
    const url = consoleAssets.at(-1)!
    const res = await app.inject({ url })
    t.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable')
    const etag = String(res.headers.etag)
    t.match(etag, /^"[0-9a-f]{12}"$/)
    t.ok(url.includes(etag.slice(1, -1)), 'the ETag is the address\'s hash')
    const again = await app.inject({ url, headers: { 'if-none-match': etag } })
    t.equal(again.statusCode, 304)
    t.equal(again.rawPayload.length, 0)
    t.equal((await app.inject({ url: '/livechat/assets/min/console.000000000000.js' })).statusCode, 404, 'an earlier release\'s address')
    t.equal((await app.inject({ url: '/livechat/assets/min/..%2Fpackage.json', headers: { accept: 'application/json' } })).statusCode, 400, 'only built names')
    t.match((await app.inject({ url: '/livechat/assets/js/core.js' })).body, /'use strict'/, 'the readable sources are served as they are')
  })

  t.test('the console page carries no overlays; they come from their own route, for agents only', async (t) => {
    t.notMatch(consolePage.body, /id="lc-shortcuts"|id="lc-palette"|data-lc-emoji=|<dialog[^>]+lc-confirm/)
    t.match(consolePage.body, /<div id="lc-overlays" data-lc-overlays="\/livechat\/console\/overlays"><\/div>/)
    t.match(consolePage.body, /<details class="lc-chat-actions lc-emoji">\s*<summary aria-label="Insert emoji">&#9786;<\/summary>\s*<\/details>/, 'the emoji menu is there, empty')
    t.match(consolePage.body, /<button type="button" class="lc-danger" data-lc-key="end" data-lc-confirm="end">End Chat<\/button>/, 'End Chat names the confirmation it asks')
    const res = await app.inject({ url: '/livechat/console/overlays', headers: { cookie: alice } })
    t.equal(res.statusCode, 200)
    t.match(res.body, /<hx-partial hx-target="#lc-overlays" hx-swap="innerHTML">/)
    t.match(res.body, /<dialog id="lc-shortcuts"[\s\S]*<dialog id="lc-palette"[\s\S]*<template id="lc-emoji-set"><div class="lc-chat-actions__menu lc-emoji__panel"><button type="button" data-lc-emoji="👍"/)
    t.match(res.body, /<template id="lc-end-confirm" data-lc-confirm-post="\/livechat\/console\/chats\/:id\/end">\s*<dialog class="lc-confirm"[\s\S]*Yes, end the chat/)
    t.equal((await app.inject({ url: '/livechat/console/overlays', headers: { accept: 'application/json' } })).statusCode, 401)
    const dana = await login(app, 'dana')
    t.equal((await app.inject({ url: '/livechat/console/overlays', headers: { cookie: dana, accept: 'application/json' } })).statusCode, 403, 'a customer may not')
    t.equal((await app.inject({ url: '/livechat/console/overlays?x=1', headers: { cookie: alice, accept: 'application/json' } })).statusCode, 400)
  })
})
