import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { testDatabase } from '../helpers/db.ts'

// docs/features.md#plain-http: an intranet desk on plain HTTP keeps its styles and scripts;
// HSTS and upgrade-insecure-requests are sent only to a page that came over HTTPS.
t.test('security headers follow the protocol the browser used', async (t) => {
  // A desk behind a proxy it trusts: the protocol comes from X-Forwarded-Proto.
  const { knex, drop } = await testDatabase()
  await prepareDatabase(knex)
  const app = await buildDemoHost({ knex, trustProxy: true, pluginOptions: { jobs: false } })
  t.teardown(async () => { await app.close(); await drop() })

  t.test('plain HTTP: no HSTS, no upgrade of asset requests, the rest of the policy kept', async (t) => {
    for (const url of ['/livechat/start', '/livechat/assets/livechat.css']) {
      const res = await app.inject({ url, headers: { host: 'helpdesk.corp:3000' } })
      t.equal(res.headers['strict-transport-security'], undefined, `${url}: no HSTS`)
      const csp = String(res.headers['content-security-policy'])
      t.notMatch(csp, /upgrade-insecure-requests/, `${url}: assets are not upgraded to https`)
      t.match(csp, /default-src 'self'/, `${url}: the policy itself is sent`)
    }
  })

  t.test('HTTPS through a trusted proxy: HSTS and upgrade-insecure-requests', async (t) => {
    const res = await app.inject({ url: '/livechat/start', headers: { host: 'helpdesk.example', 'x-forwarded-proto': 'https' } })
    t.match(String(res.headers['strict-transport-security']), /^max-age=\d+/)
    t.match(String(res.headers['content-security-policy']), /upgrade-insecure-requests/)
  })
})
