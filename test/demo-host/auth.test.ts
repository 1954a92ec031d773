import { createHash } from 'node:crypto'
import t from 'tap'
import { build, login, origin } from './helpers.ts'

function sessionCookieOf (res: { cookies: Array<{ name: string, value: string }> }): { name: string, value: string } | undefined {
  return res.cookies.find((c) => c.name === 'hd_session')
}

t.test('login', async (t) => {
  const { app, knex } = await build(t)

  t.test('GET /login shows labelled fields and a Sign in button', async (t) => {
    const res = await app.inject('/login')
    t.equal(res.statusCode, 200)
    t.match(res.body, /<label for="username">Username<\/label>/)
    t.match(res.body, /<input id="username"/)
    t.match(res.body, /<label for="password">Password<\/label>/)
    t.match(res.body, /<input id="password" name="password" type="password"/)
    t.match(res.body, /<button type="submit"[^>]*>Sign in<\/button>/)
  })

  t.test('a wrong password answers 401 with the message and sets no cookie', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/login', headers: { origin }, payload: { username: 'alice', password: 'nope' } })
    t.equal(res.statusCode, 401)
    t.match(res.body, 'Wrong username or password')
    t.notOk(res.headers['set-cookie'])
    t.match(res.body, /value="alice"/, 'keeps the username in the form')
  })

  t.test('an unknown username gets the very same answer', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/login', headers: { origin }, payload: { username: 'mallory', password: 'demo' } })
    t.equal(res.statusCode, 401)
    t.match(res.body, 'Wrong username or password')
    t.notOk(res.headers['set-cookie'])
  })

  t.test('an agent lands on /desk with an HttpOnly SameSite=Lax session cookie', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/login', headers: { origin }, payload: { username: 'alice', password: 'demo' } })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/desk')
    const cookie = sessionCookieOf(res)
    t.ok(cookie)
    t.match(String(res.headers['set-cookie']), /HttpOnly/)
    t.match(String(res.headers['set-cookie']), /SameSite=Lax/)
    t.match(String(res.headers['set-cookie']), /Path=\//)
    t.match(cookie?.value, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url')
  })

  t.test('a customer lands on /portal', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/login', headers: { origin }, payload: { username: 'dana', password: 'demo' } })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/portal')
  })

  t.test('the database stores the sha256 of the cookie, never the cookie', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/login', headers: { origin }, payload: { username: 'bob', password: 'demo' } })
    const token = sessionCookieOf(res)?.value ?? ''
    const rows = await knex('sessions').select('token_hash', 'expires_at', 'created_at')
    t.notOk(rows.some((r) => r.token_hash === token), 'raw token not stored')
    const hash = createHash('sha256').update(token).digest('hex')
    const row = rows.find((r) => r.token_hash === hash)
    t.ok(row, 'hash stored')
    t.equal(Number(row?.expires_at) - Number(row?.created_at), 12 * 3600 * 1000, 'expires in 12 hours')
  })

  t.test('next= sends the user back to a same-site path', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/login', headers: { origin }, payload: { username: 'alice', password: 'demo', next: '/tickets?kind=incident' } })
    t.equal(res.headers.location, '/tickets?kind=incident')
  })

  for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '/%0d%0aSet-Cookie:x', '\\\\evil.example']) {
    t.test(`next=${next} is refused as an open redirect`, async (t) => {
      const res = await app.inject({ method: 'POST', url: '/login', headers: { origin }, payload: { username: 'alice', password: 'demo', next } })
      t.equal(res.statusCode, 303)
      t.equal(res.headers.location, next.startsWith('/%') ? next : '/desk')
    })
  }

  t.test('the login form carries a safe next and drops an unsafe one', async (t) => {
    t.match((await app.inject('/login?next=%2Fkb')).body, /name="next" value="\/kb"/)
    t.notMatch((await app.inject('/login?next=%2F%2Fevil.example')).body, /name="next"/)
  })
})

t.test('sessions', async (t) => {
  const { app, knex } = await build(t)

  t.test('logout deletes the session and clears the cookie', async (t) => {
    const cookie = await login(app, 'carol')
    t.equal((await app.inject({ url: '/desk', headers: { cookie } })).statusCode, 200)
    const before = Number((await knex('sessions').count({ n: '*' }).first())?.n)
    const res = await app.inject({ method: 'POST', url: '/logout', headers: { cookie, origin } })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, '/login')
    t.match(String(res.headers['set-cookie']), /hd_session=;/)
    t.equal(Number((await knex('sessions').count({ n: '*' }).first())?.n), before - 1)
    const after = await app.inject({ url: '/desk', headers: { cookie } })
    t.equal(after.statusCode, 303, 'the old cookie no longer signs in')
  })

  t.test('an expired session is not accepted', async (t) => {
    const cookie = await login(app, 'carol')
    await knex('sessions').update({ expires_at: Date.now() - 1000 })
    const res = await app.inject({ url: '/desk', headers: { cookie } })
    t.equal(res.statusCode, 303)
    t.match(res.headers.location, /^\/login/)
  })

  t.test('/ sends each user home', async (t) => {
    t.equal((await app.inject('/')).headers.location, '/login')
    t.equal((await app.inject({ url: '/', headers: { cookie: await login(app, 'sam') } })).headers.location, '/desk')
    t.equal((await app.inject({ url: '/', headers: { cookie: await login(app, 'erin') } })).headers.location, '/portal')
  })
})

t.test('guards', async (t) => {
  const { app } = await build(t)
  const customer = await login(app, 'dana')
  const agent = await login(app, 'alice')

  for (const url of ['/desk', '/tickets', '/tickets/INC000001', '/admin/plugins']) {
    t.test(`signed out, ${url} redirects to /login with next`, async (t) => {
      const res = await app.inject(url)
      t.equal(res.statusCode, 303)
      t.equal(res.headers.location, `/login?next=${encodeURIComponent(url)}`)
    })
    t.test(`a customer gets the 403 page on ${url}`, async (t) => {
      const res = await app.inject({ url, headers: { cookie: customer } })
      t.equal(res.statusCode, 403)
      t.match(res.body, 'Access denied')
      t.match(res.body, 'Demo Help Desk', 'in the host layout')
    })
  }

  t.test('an agent gets 403 on /admin/plugins', async (t) => {
    t.equal((await app.inject({ url: '/admin/plugins', headers: { cookie: agent } })).statusCode, 403)
  })

  t.test('an agent cannot toggle a plugin', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/admin/plugins/livechat/disable', headers: { cookie: agent, origin } })
    t.equal(res.statusCode, 403)
  })
})

t.test('cross-site form posts', async (t) => {
  const { app, knex } = await build(t)
  const admin = await login(app, 'admin')

  t.test('a foreign Origin is refused with 403 and changes nothing', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/admin/plugins/livechat/disable', headers: { cookie: admin, origin: 'https://evil.example' } })
    t.equal(res.statusCode, 403)
    t.match(res.body, 'another site')
    t.equal(Number((await knex('host_plugins').where({ id: 'livechat' }).first('enabled'))?.enabled), 1)
  })

  t.test('a post without Origin or Referer is refused', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: admin } })
    t.equal(res.statusCode, 403)
  })

  t.test('a foreign Referer is refused and a same-site one accepted', async (t) => {
    const bad = await app.inject({ method: 'POST', url: '/login', headers: { referer: 'http://evil.example/login' }, payload: { username: 'alice', password: 'demo' } })
    t.equal(bad.statusCode, 403)
    t.notOk(bad.headers['set-cookie'])
    const good = await app.inject({ method: 'POST', url: '/login', headers: { referer: 'http://localhost/login' }, payload: { username: 'alice', password: 'demo' } })
    t.equal(good.statusCode, 303)
  })

  t.test('Origin "null" (sandboxed or file pages) is refused', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/login', headers: { origin: 'null' }, payload: { username: 'alice', password: 'demo' } })
    t.equal(res.statusCode, 403)
  })
})
