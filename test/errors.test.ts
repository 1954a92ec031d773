import { readFileSync } from 'node:fs'
import t from 'tap'
import * as errors from '../plugin/errors.ts'

t.test('errors', async (t) => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
  const codes = Object.keys(errors).filter((k) => k.startsWith('LC_ERR_'))

  t.test('every exported code is documented in docs/errors.md', async (t) => {
    t.ok(codes.length >= 15)
    for (const code of codes) t.match(doc, new RegExp(`\`${code}\``), code)
  })

  t.test('each error factory carries its own code and a status', async (t) => {
    for (const code of codes) {
      const Factory = (errors as unknown as Record<string, new (...a: string[]) => errors.CodedError>)[code]!
      const err = new Factory('a', 'b')
      t.equal(err.code, code)
      t.ok(err.statusCode! >= 400 && err.statusCode! < 600, code)
      t.ok(errors.isCoded(err))
    }
  })
})
