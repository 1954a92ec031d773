import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { scopeIds } from '../../plugin/api/scopes.ts'
import { createAjv } from '../../plugin/validation.ts'
import { apiClient, tokenAdmin } from '../helpers/api.ts'
import { agentSession, build, startChat } from '../helpers/build.ts'

interface Operation {
  summary: string
  security?: Array<{ token: string[] }>
  parameters?: Array<{ name: string, in: string, required?: boolean }>
  requestBody?: { content: Record<string, { schema: object }> }
  responses: Record<string, { content?: Record<string, { schema: object }> }>
}
interface Doc { openapi: string, paths: Record<string, Record<string, Operation>>, components: { securitySchemes: Record<string, { scheme: string }> } }

const prefix = '/livechat/api/v1'

t.test('the OpenAPI document, walked: every route answers as it declares, good input and bad', async (t) => {
  const { app } = await build(t)
  const { create } = await tokenAdmin(app)
  const secret = (await create({ name: 'Walker', scopes: scopeIds, actsAs: 'agent', username: 'alice' })).secret
  const alice = apiClient(app, secret)
  const anonymous = apiClient(app, null)
  const console = await agentSession(app, 'alice')
  const ajv = createAjv()

  const docRes = await anonymous('GET', '/openapi.json')
  t.equal(docRes.statusCode, 200, 'the document is open: it holds no data')
  const doc = docRes.json() as Doc
  t.match(doc.openapi, /^3\.1/)
  t.equal(doc.components.securitySchemes.token!.scheme, 'bearer')

  /** A chat Alice has accepted. */
  const active = async (): Promise<number> => {
    const { chatId } = await startChat(app, { question: 'Walked through' })
    await console.post(`/livechat/console/chats/${chatId}/accept`)
    return chatId
  }
  const ended = async (): Promise<number> => {
    const id = await active()
    await alice('POST', `/chats/${id}/end`)
    return id
  }
  const chat = await active()

  /**
   * A good call of every operation: the id it addresses (made for it) and its body. A route
   * missing here fails the walk, so a new route comes with its good call.
   */
  const good: Record<string, { id?: () => Promise<number>, body?: object, query?: string }> = {
    'get /chats': { query: '?limit=2' },
    'get /chats/{id}': { id: async () => chat },
    'post /chats/{id}/messages': { id: async () => chat, body: { text: 'Walking the API', clientMsgId: 'walk-1' } },
    'post /chats/{id}/transfer': { id: active, body: { groupId: 2, comment: 'Over to L2' } },
    'post /chats/{id}/end': { id: active, body: {} },
    'post /chats/{id}/delete': { id: ended, body: {} },
    'post /chats/{id}/undelete': { id: async () => { const id = await ended(); await alice('POST', `/chats/${id}/delete`); return id }, body: {} },
    'get /chats/{id}/comments': { id: async () => chat },
    'post /chats/{id}/comments': { id: async () => chat, body: { body: 'Walked', resolution: false } },
    'get /chats/{id}/tickets': { id: async () => chat },
    'get /chats/{id}/survey': { id: async () => chat },
    'get /departments': {},
    'get /groups': {},
    'get /agents': {},
    'get /groups/{id}/queue': { id: async () => 1 },
    'get /groups/{id}/presence': { id: async () => 1 },
    'get /canned-replies': {},
    'get /reports': { query: '?period=7' }
  }

  /** The answer is one the operation declares, and its body matches that declaration. */
  function checkAnswer (t: Test, op: Operation, res: LightMyRequestResponse, what: string): void {
    t.ok(res.statusCode < 500, `${what}: never 5xx (${res.statusCode})`)
    const declared = op.responses[String(res.statusCode)]
    if (!t.ok(declared, `${what}: ${res.statusCode} is declared`)) return
    const schema = declared!.content?.['application/json']?.schema
    if (!t.ok(schema, `${what}: ${res.statusCode} has a JSON schema`)) return
    const validate = ajv.compile(schema!)
    t.ok(validate(res.json()), `${what}: ${res.statusCode} matches its schema ${JSON.stringify(validate.errors ?? '')}`)
  }

  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
  t.same(operations.map((o) => `${o.method} ${o.path.slice(prefix.length)}`).sort(), Object.keys(good).sort(), 'the document has exactly the API\'s routes')

  for (const { path, method, op } of operations) {
    const key = `${method} ${path.slice(prefix.length)}`
    t.test(key, async (t) => {
      const scopes = op.security?.[0]?.token ?? []
      t.equal(scopes.length, 1, 'names the one scope it needs')
      t.ok(scopeIds.includes(scopes[0] as never), `${scopes[0]} is a scope`)
      const fixture = good[key]!
      const id = fixture.id ? await fixture.id() : undefined
      const address = `${path.slice(prefix.length).replace('{id}', String(id))}${fixture.query ?? ''}`
      const verb = method.toUpperCase() as 'GET' | 'POST'
      const ok = await alice(verb, address, { body: fixture.body })
      t.ok(ok.statusCode >= 200 && ok.statusCode < 300, `good call answers 2xx (${ok.statusCode} ${ok.body.slice(0, 200)})`)
      checkAnswer(t, op, ok, 'good call')
      if (verb === 'GET') {
        const again = await alice(verb, address, { headers: { 'if-none-match': String(ok.headers.etag) } })
        t.equal(again.statusCode, 304, 'answers 304 to its own ETag')
        t.ok(op.responses['304'], '304 is declared')
        t.equal(again.body, '', 'with no body')
      }

      // Bad input: each answered 4xx in the documented error shape, nothing on our side failing.
      const bad: Array<[string, LightMyRequestResponse, number]> = [
        ['no token', await anonymous(verb, address, { body: fixture.body }), 401],
        ['a token of another shape', await apiClient(app, 'lc_nope')(verb, address, { body: fixture.body }), 401]
      ]
      if (path.includes('{id}')) {
        bad.push(['an id that is not a number', await alice(verb, path.slice(prefix.length).replace('{id}', 'abc'), { body: fixture.body }), 400])
        bad.push(['an id out of range', await alice(verb, path.slice(prefix.length).replace('{id}', '0'), { body: fixture.body }), 400])
        bad.push(['an id of nothing', await alice(verb, path.slice(prefix.length).replace('{id}', '2000000000'), { body: fixture.body }), 404])
      }
      if (op.requestBody) {
        bad.push(['a field it does not have', await alice(verb, address, { body: { ...fixture.body, unknown: 1 } }), 400])
        bad.push(['not JSON', await alice(verb, address, { headers: { 'content-type': 'application/json' }, body: undefined }), 400])
        bad.push(['a list for an object', await alice(verb, address, { body: [1, 2] }), 400])
      }
      if (verb === 'GET') bad.push(['a query it does not take', await alice(verb, `${address}${address.includes('?') ? '&' : '?'}unknown=1`), 400])
      for (const [what, res, status] of bad) {
        t.equal(res.statusCode, status, `${what}: ${status}`)
        checkAnswer(t, op, res, what)
      }
    })
  }

  t.test('the reference page is made from the document, with no script or style of its own', async (t) => {
    const page = await anonymous('GET', '/reference')
    t.equal(page.statusCode, 200)
    t.match(page.headers['content-type'], /text\/html/)
    for (const { path, method } of operations) t.match(page.body, `<code>${method.toUpperCase()} ${path}</code>`)
    t.notMatch(page.body, /<script(?![^>]*\bsrc=)/, 'no inline script')
    t.notMatch(page.body, /<style|style="/, 'no inline style')
    t.notMatch(page.body, /https?:\/\/(?!localhost)/, 'nothing from elsewhere')
    t.match(page.headers['content-security-policy'], /script-src 'self'/)
  })

  t.test('an address under the API that is no route answers JSON', async (t) => {
    const res = await alice('GET', '/nothing-here')
    t.equal(res.statusCode, 404)
    t.same(Object.keys(res.json()).sort(), ['code', 'message'])
  })
})
