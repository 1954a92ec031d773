import t from 'tap'
import { compiledOnUse, compileEveryValidator, createAjv } from '../../plugin/validation.ts'
import { build } from '../helpers/build.ts'

// Route and frame schemas compile on first use (plugin/validation.ts compiledOnUse), so a
// schema that cannot compile would otherwise surface on a first request in production.

t.test('every schema of the installed plugin compiles', async (t) => {
  const { app } = await build(t)
  t.ok(compileEveryValidator() > 50, 'the routes\' and sockets\' schemas were waiting to be compiled')
  t.equal(compileEveryValidator(), 0, 'none is left')
  const refused = await app.inject({ url: '/livechat/console/chats/not-a-number' })
  t.not(refused.statusCode, 500, 'a validator compiled ahead of its first use still answers')
})

t.test('a validator compiled on use reports its errors like a compiled one', (t) => {
  const validate = compiledOnUse<{ n: number }>(createAjv(), { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] })
  t.equal(validate({ n: 'x' }), false)
  t.match(validate.errors, [{ instancePath: '/n', keyword: 'type' }])
  t.equal(validate({ n: 1 }), true)
  t.equal(validate.errors, null)
  t.end()
})
