import t, { type Test } from 'tap'
import { exportSPKI, generateKeyPair, SignJWT } from 'jose'
import type { FastifyInstance } from 'fastify'
import { agentSession, build, cookiesOf, csrf, formClients, joinCookies, sameOrigin } from '../helpers/build.ts'

// docs/features.md#verified-customer-identity: a token the customer's portal signed prefills
// and locks the pre-chat form; a refused one says why and leaves a visitor who can still chat.

const secret = 'a-shared-secret-of-at-least-32-characters!'
const now = () => Math.floor(Date.now() / 1000)

interface Claims { sub?: string, name?: string, email?: string, aud?: string, iss?: string, iat?: number, exp?: number }

const dana = { sub: 'portal-7731', name: 'Dana Doyle', email: 'dana@customer.example' }

/** A token as a portal signs it: HS256 with the shared secret unless another key and algorithm are given. */
async function sign (claims: Claims = {}, key: Parameters<SignJWT['sign']>[0] = new TextEncoder().encode(secret), alg = 'HS256'): Promise<string> {
  const { iat = now(), exp = now() + 600, aud = 'livechat', iss, ...rest } = { ...dana, ...claims }
  const jwt = new SignJWT(rest).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt(iat).setExpirationTime(exp).setAudience(aud)
  if (iss) jwt.setIssuer(iss)
  return await jwt.sign(key)
}

/** The same token with its payload changed after signing. */
function tampered (token: string, change: object): string {
  const [head, body, signature] = token.split('.')
  const payload = { ...JSON.parse(Buffer.from(body!, 'base64url').toString()), ...change }
  return [head, Buffer.from(JSON.stringify(payload)).toString('base64url'), signature].join('.')
}

/** An unsigned token (`alg: none`). */
function unsigned (claims: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...dana, aud: 'livechat', iat: now(), exp: now() + 600, ...claims })}.`
}

async function startPage (app: FastifyInstance, token: string) {
  return await app.inject({ url: `/livechat/start?identity=${encodeURIComponent(token)}` })
}

/** What a refused token leaves on the pre-chat page: its code, and a form a visitor can fill. */
async function refusedWith (t: Test, app: FastifyInstance, token: string, code: string): Promise<void> {
  const res = await startPage(app, token)
  t.equal(res.statusCode, 200, `${code}: the form still opens`)
  t.match(res.body, `data-code="${code}"`, `${code}: the form says why`)
  t.notMatch(res.body, /readonly/, `${code}: name and email stay open`)
  t.notMatch(res.body, /name="identity"/, `${code}: the token is not carried on`)
}

/** Posts the pre-chat form (through the suggested articles, when shown) and returns the chat row. */
async function startWith (app: FastifyInstance, knex: Built['knex'], fields: Record<string, string>) {
  const c = await csrf(app, '')
  const payload = { name: 'Typed Name', email: 'typed@customer.example', question: 'Where is my parcel', ...fields, _csrf: c.token }
  let res = await app.inject({ method: 'POST', url: '/livechat/start', headers: { cookie: c.cookie, ...sameOrigin }, payload })
  if (res.statusCode === 200 && res.body.includes('id="lc-suggestions"')) {
    res = await app.inject({ method: 'POST', url: '/livechat/start/continue', headers: { cookie: c.cookie, ...sameOrigin }, payload })
  }
  if (res.statusCode !== 303) throw new Error(`start chat failed: ${res.statusCode} ${res.body.slice(0, 300)}`)
  const chatId = Number(/\/chat\/(\d+)$/.exec(String(res.headers.location))?.[1])
  return { chatId, cookie: joinCookies(c.cookie, cookiesOf(res)), row: await knex('lc_chats').where({ id: chatId }).first() }
}

type Built = Awaited<ReturnType<typeof build>>

t.test('verified identity, HS256', async (t) => {
  const { app, knex } = await build(t, { pluginOptions: { settings: { chatStartsPerMinute: 1000, identitySecret: secret } } })

  t.test('a good token prefills and locks name and email, and carries itself to the post', async (t) => {
    const res = await startPage(app, await sign())
    t.equal(res.statusCode, 200)
    t.match(res.body, /<input id="lc-name" name="name" value="Dana Doyle"[^>]* readonly/)
    t.match(res.body, /<input id="lc-email" name="email" type="email" value="dana@customer.example"[^>]* readonly/)
    t.match(res.body, /<input type="hidden" name="identity" value="ey[^"]+"/)
    t.match(res.body, /Verified as Dana Doyle/)
  })

  t.test('a chat started with a good token is verified, whatever name the post says', async (t) => {
    const { row } = await startWith(app, knex, { identity: await sign(), name: 'Someone Else', email: 'else@example.com' })
    t.equal(row.customer_verified_id, 'portal-7731')
    t.equal(row.customer_name, 'Dana Doyle')
    t.equal(row.customer_email, 'dana@customer.example')
    t.equal(row.customer_user_id, null, 'no desk user has the portal\'s id')
    const admin = await agentSession(app, 'admin')
    const pane = await app.inject({ url: `/livechat/console/chats/${row.id}`, headers: { cookie: admin.cookie } })
    t.match(pane.body, /Dana Doyle<\/span> <span class="lc-badge lc-badge--verified"/, 'verified without being a desk user')
  })

  t.test('a verified id that is a desk user links the chat to them, and the agent sees "verified"', async (t) => {
    const user = await knex('users').where({ username: 'erin' }).first('id')
    const { chatId, row } = await startWith(app, knex, { identity: await sign({ sub: String(user.id), name: 'Erin Evans', email: 'erin@customer.example' }) })
    t.equal(row.customer_user_id, String(user.id))
    t.equal(row.customer_verified_id, String(user.id))
    const admin = await agentSession(app, 'admin')
    const pane = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: admin.cookie } })
    t.equal(pane.statusCode, 200)
    t.match(pane.body, /Erin Evans<\/span> <span class="lc-badge lc-badge--verified"[^>]*>verified<\/span>/)
    const tab = await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/customer`, headers: { cookie: admin.cookie, 'hx-request': 'true' } })
    t.equal(tab.statusCode, 200)
    t.match(tab.body, new RegExp(`<dt>Identity</dt><dd><span class="lc-badge lc-badge--verified">verified</span> by a signed token, customer id ${user.id}</dd>`))
    t.match(tab.body, /<dt>Signed in<\/dt><dd>yes, as a help desk user<\/dd>/)
  })

  t.test('an expired token is refused, and the chat goes on as a visitor', async (t) => {
    const token = await sign({ iat: now() - 1200, exp: now() - 600 })
    await refusedWith(t, app, token, 'LC_ERR_IDENTITY_EXPIRED')
    const { row } = await startWith(app, knex, { identity: token })
    t.equal(row.customer_verified_id, null)
    t.equal(row.customer_name, 'Typed Name', 'the name typed stands')
  })

  t.test('a token older than an hour is expired, whatever its exp says', async (t) => {
    await refusedWith(t, app, await sign({ iat: now() - 7200, exp: now() + 600 }), 'LC_ERR_IDENTITY_EXPIRED')
  })

  t.test('a token for another audience is refused', async (t) => {
    await refusedWith(t, app, await sign({ aud: 'billing' }), 'LC_ERR_IDENTITY_AUDIENCE')
  })

  t.test('a tampered token is refused, and a chat posted with it is not verified', async (t) => {
    const token = tampered(await sign(), { sub: 'admin', name: 'Ada Admin' })
    await refusedWith(t, app, token, 'LC_ERR_IDENTITY_SIGNATURE')
    const { row } = await startWith(app, knex, { identity: token })
    t.equal(row.customer_verified_id, null)
    t.equal(row.customer_user_id, null)
  })

  t.test('a token signed with another secret is refused', async (t) => {
    await refusedWith(t, app, await sign({}, new TextEncoder().encode('another-secret-of-at-least-32-characters')), 'LC_ERR_IDENTITY_SIGNATURE')
  })

  t.test('alg none and an algorithm without a key are refused', async (t) => {
    await refusedWith(t, app, unsigned({}), 'LC_ERR_IDENTITY_SIGNATURE')
    const { privateKey } = await generateKeyPair('RS256')
    await refusedWith(t, app, await sign({}, privateKey, 'RS256'), 'LC_ERR_IDENTITY_SIGNATURE')
  })

  t.test('a token without an email, or not a JWT at all, is refused', async (t) => {
    await refusedWith(t, app, await sign({ email: 'not an email' }), 'LC_ERR_IDENTITY_CLAIMS')
    await refusedWith(t, app, 'not.a.token', 'LC_ERR_IDENTITY_SIGNATURE')
  })

  t.test('a token longer than the query allows is a 400', async (t) => {
    const res = await startPage(app, 'x'.repeat(4001))
    t.equal(res.statusCode, 400)
    t.match(res.body, 'data-code="LC_ERR_VALIDATION"')
  })
})

t.test('verified identity, issuer and no key', async (t) => {
  const { app } = await build(t, { pluginOptions: { settings: { identitySecret: secret, identityIssuer: 'https://portal.example.com' } } })
  t.test('the issuer is required once set', async (t) => {
    await refusedWith(t, app, await sign(), 'LC_ERR_IDENTITY_AUDIENCE')
    await refusedWith(t, app, await sign({ iss: 'https://evil.example.com' }), 'LC_ERR_IDENTITY_AUDIENCE')
    const res = await startPage(app, await sign({ iss: 'https://portal.example.com' }))
    t.match(res.body, /Verified as Dana Doyle/)
  })
})

t.test('verified identity with neither secret nor key set', async (t) => {
  const { app } = await build(t)
  await refusedWith(t, app, await sign(), 'LC_ERR_IDENTITY_OFF')
})

for (const alg of ['RS256', 'ES256'] as const) {
  t.test(`verified identity, ${alg}`, async (t) => {
    const { publicKey, privateKey } = await generateKeyPair(alg)
    // Pasted into the one-line settings field: its line breaks are gone.
    const pem = (await exportSPKI(publicKey)).replace(/\n/g, ' ')
    const { app, knex } = await build(t, { pluginOptions: { settings: { chatStartsPerMinute: 1000, identityPublicKey: pem } } })

    t.test('a good token is verified', async (t) => {
      const res = await startPage(app, await sign({}, privateKey, alg))
      t.match(res.body, /Verified as Dana Doyle/)
      const { row } = await startWith(app, knex, { identity: await sign({}, privateKey, alg) })
      t.equal(row.customer_verified_id, 'portal-7731')
    })

    t.test('a token signed by another key pair is refused', async (t) => {
      const other = await generateKeyPair(alg)
      await refusedWith(t, app, await sign({}, other.privateKey, alg), 'LC_ERR_IDENTITY_SIGNATURE')
    })

    t.test('HS256 signed with the public key\'s text as its secret is refused', async (t) => {
      await refusedWith(t, app, await sign({}, new TextEncoder().encode(pem)), 'LC_ERR_IDENTITY_SIGNATURE')
    })

    t.test('expired, wrong audience and tampered are refused', async (t) => {
      await refusedWith(t, app, await sign({ iat: now() - 1200, exp: now() - 600 }, privateKey, alg), 'LC_ERR_IDENTITY_EXPIRED')
      await refusedWith(t, app, await sign({ aud: 'billing' }, privateKey, alg), 'LC_ERR_IDENTITY_AUDIENCE')
      await refusedWith(t, app, tampered(await sign({}, privateKey, alg), { email: 'mallory@example.com' }), 'LC_ERR_IDENTITY_SIGNATURE')
    })
  })
}

t.test('verified identity set on the settings screen', async (t) => {
  const { app } = await build(t)
  const { client } = await formClients(app, '/livechat/admin/settings')
  const admin = await client('admin')
  const form = { widgetOrigins: 'https://shop.example.com', identitySecret: secret, identityPublicKey: '', identityIssuer: '', identityAudience: 'livechat' }

  t.test('a secret too short is refused beside its field, and nothing is stored', async (t) => {
    const res = await admin.post('/livechat/admin/settings/widget', { ...form, identitySecret: 'short' })
    t.equal(res.statusCode, 422)
    t.match(res.body, 'Identity secret (HS256) must be at least 32 characters, or empty to turn HS256 off')
    await refusedWith(t, app, await sign(), 'LC_ERR_IDENTITY_OFF')
  })

  t.test('saved, the secret applies at once and is never shown again', async (t) => {
    const res = await admin.post('/livechat/admin/settings/widget', form)
    t.equal(res.statusCode, 200)
    t.notMatch(res.body, secret, 'not in the answer')
    const page = await admin.get('/livechat/admin/settings')
    t.match(page.body, /name="identitySecret" type="password" value=""/)
    t.notMatch(page.body, secret, 'not on the screen, nor in its history')
    t.match((await startPage(app, await sign())).body, /Verified as Dana Doyle/)
    const framed = await app.inject({ url: '/livechat/start' })
    t.match(String(framed.headers['content-security-policy']), "frame-ancestors 'self' https://shop.example.com")
  })
})
