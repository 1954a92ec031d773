import t from 'tap'
import { createSession, sessionCookie } from '../../demo-host/auth.ts'
import { build, openSocket, type SocketClient } from '../helpers/build.ts'

const consoles = 250
const timeoutSeconds = 10

/**
 * Keeps the server's own process busy: every `everyMs`, the event loop is held for `busyMs`,
 * so every database round trip and every timer waits as it would on a loaded server.
 */
function keepBusy (busyMs: number, everyMs: number): () => void {
  const timer = setInterval(() => {
    const until = performance.now() + busyMs
    while (performance.now() < until) { /* the load */ }
  }, everyMs)
  return () => { clearInterval(timer) }
}

t.test('console presence under load (docs/features.md#presence-sweep)', async (t) => {
  const { url, knex } = await build(t, {
    listen: true,
    pluginOptions: {
      // The presence sweep runs every second, so a round of heartbeats that falls behind is caught.
      jobs: true,
      settings: { heartbeatTimeoutSeconds: timeoutSeconds, jobSchedules: { 'presence-sweep': '* * * * * *' } }
    }
  })
  const at = Date.now()
  const users = Array.from({ length: consoles }, (_, i) => ({
    username: `load${String(i).padStart(3, '0')}`, name: `Load Agent ${i}`, email: `load${i}@helpdesk.example`, roles: 'agent', password_hash: 'not-a-password-hash', created_at: at
  }))
  for (let i = 0; i < users.length; i += 50) await knex('users').insert(users.slice(i, i + 50))
  const ids = (await knex('users').select('id').where('username', 'like', 'load%').orderBy('username')).map((r: { id: number | string }) => String(r.id))
  t.equal(ids.length, consoles)
  const presence = ids.map((id) => ({ agent_id: id, status: 'available', max_chats: 4, heartbeat_at: at, updated_at: at }))
  for (let i = 0; i < presence.length; i += 50) await knex('lc_agent_presence').insert(presence.slice(i, i + 50))

  const sockets: SocketClient[] = []
  t.teardown(async () => { await Promise.all(sockets.map(async (s) => { await s.close() })) })
  for (let i = 0; i < ids.length; i += 25) {
    const batch = await Promise.all(ids.slice(i, i + 25).map(async (id) => {
      const cookie = `${sessionCookie}=${await createSession(knex, Number(id))}`
      const socket = await openSocket(url, '/livechat/ws/console', { cookie, origin: url })
      await socket.waitFor(/hx-target="#lc-queue"/, 30_000)
      return socket
    }))
    sockets.push(...batch)
  }

  const unavailable = async (): Promise<string[]> =>
    (await knex('lc_agent_presence').select('agent_id').whereIn('agent_id', ids).andWhereNot('status', 'available')).map((r: { agent_id: string }) => r.agent_id)

  t.test('no agent with an open console is made unavailable while the server is kept busy', async (t) => {
    const stop = keepBusy(40, 50)
    const seen = new Set<string>()
    try {
      // Two timeouts and a half: long enough for every sweep to find a heartbeat gone stale, if one did.
      const until = Date.now() + timeoutSeconds * 2500
      while (Date.now() < until) {
        for (const id of await unavailable()) seen.add(id)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    } finally {
      stop()
    }
    const sweeps = await knex('lc_job_runs').where('job', 'presence-sweep').count({ n: '*' }).first()
    t.ok(Number(sweeps?.n) >= 5, `the sweep ran meanwhile (${Number(sweeps?.n)} runs)`)
    t.same([...seen], [], 'never unavailable while their consoles were open')
    t.same(sockets.filter((s) => s.ws.readyState !== s.ws.OPEN).length, 0, 'every console is still open')
  })

  t.test('a heartbeat gives back what a late sweep took, never what the agent chose', async (t) => {
    const [late, alsoLate, chose] = [ids[0]!, ids[1]!, ids[2]!]
    // Beats that came too late for the sweep, as on a server stalled longer than the timeout.
    const stale = Date.now() - timeoutSeconds * 2000
    await knex('lc_agent_presence').whereIn('agent_id', [late, alsoLate]).update({ heartbeat_at: stale })
    await knex('lc_agent_presence').where('agent_id', chose).update({ status: 'unavailable' })
    const swept = async (): Promise<boolean> => {
      const rows = await knex('lc_agent_presence').whereIn('agent_id', [late, alsoLate]).whereNotNull('swept_at').count({ n: '*' }).first()
      return Number(rows?.n) === 2
    }
    // A heartbeat landing between the stale beat and the next sweep freshens them again (the sweep runs every
    // second, the heartbeat every third of the timeout): make them stale again until a sweep has found them so.
    const sweptBy = Date.now() + timeoutSeconds * 2000
    let took = false
    while (!(took = await swept()) && Date.now() < sweptBy) {
      await knex('lc_agent_presence').whereIn('agent_id', [late, alsoLate]).whereNull('swept_at').update({ heartbeat_at: stale })
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    t.ok(took, 'the sweep took them')
    // Their consoles are told at once: the Available switch is off (a heartbeat may turn it on again any moment).
    await sockets[0]!.waitFor(/Not taking chats/, 5000)
    // The next heartbeat (every third of the timeout) finds their consoles open.
    const backBy = Date.now() + timeoutSeconds * 1000
    while ((await unavailable()).length > 1 && Date.now() < backBy) await new Promise((resolve) => setTimeout(resolve, 100))
    t.same(await unavailable(), [chose], 'available again, except the agent who switched it off')
    const rows = await knex('lc_agent_presence').whereIn('agent_id', [late, alsoLate, chose]).orderBy('agent_id').select('agent_id', 'swept_at', 'heartbeat_at')
    t.ok(rows.every((r: { swept_at: unknown }) => r.swept_at === null), 'nothing left marked as swept')
    t.ok(rows.filter((r: { agent_id: string }) => r.agent_id !== chose).every((r: { heartbeat_at: unknown }) => Number(r.heartbeat_at) > stale), 'fresh again')
    // The agent's own console is told: its Available switch is on again.
    await sockets[0]!.waitFor(/id="lc-availability"[\s\S]*>Taking chats</, 5000)
  })
})
