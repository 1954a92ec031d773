import { buildDemoHost } from './app.ts'
import { connectOrExit, describeDatabase } from './database.ts'
import { demoPassword, demoUsers } from './seed.ts'
import { prepareDatabase } from './setup.ts'

const knex = await connectOrExit()
await prepareDatabase(knex)
// REDIS_URL: live updates go through Redis, so several instances can share one database.
const pluginOptions = process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : undefined
// TRUST_PROXY: behind a proxy, `true` (or the proxies' addresses, comma-separated) so the desk sees the
// client's address and whether the browser used https, from X-Forwarded-For and -Proto.
const trustProxy = trustProxyOf(process.env.TRUST_PROXY)
const app = await buildDemoHost({ knex, logger: { level: process.env.LOG_LEVEL ?? 'info' }, pluginOptions, trustProxy })

const port = Number(process.env.PORT ?? 3000)
const host = process.env.HOST ?? '127.0.0.1'
await app.listen({ port, host })

const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
console.log(`\nDemo Help Desk: http://${shown}:${port}/  (${describeDatabase()})`)
console.log(`Sign in with any of these (password "${demoPassword}"):`)
for (const u of demoUsers) console.log(`  ${u.username.padEnd(8)} ${u.roles}`)

let closing = false
async function shutdown (signal: string): Promise<void> {
  if (closing) return
  closing = true
  app.log.info({ signal }, 'shutting down')
  try {
    await app.close()
    await knex.destroy()
    process.exit(0)
  } catch (err) {
    console.error(err)
    process.exit(1)
  }
}
process.on('SIGINT', () => { void shutdown('SIGINT') })
process.on('SIGTERM', () => { void shutdown('SIGTERM') })

function trustProxyOf (value: string | undefined): boolean | string {
  if (value === undefined || value === '' || value === 'false') return false
  return value === 'true' ? true : value
}
