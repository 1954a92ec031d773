import t from 'tap'
import { createDeflectionService, suggestionLimit } from '../../plugin/deflections/service.ts'
import { isCoded } from '../../plugin/errors.ts'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import { given, services } from '../helpers/given.ts'

const day = 86_400_000

t.test('deflection service', async (t) => {
  const s = await services(t)
  let now = Date.now()
  const clock = () => now
  const deflections = createDeflectionService({ db: s.knex, host: s.host, chats: s.chats, clock })
  const reset = String((await s.knex('kb_articles').where({ title: 'Reset your password' }).first('id')).id)
  const support = { id: 1, name: 'Support' }
  const count = async (): Promise<number> => Number((await s.knex('lc_kb_deflections').count({ n: '*' }).first())?.n)

  t.test('suggestions: the best articles for the question, a few at most; none for no real words', async (t) => {
    const hits = await deflections.suggestions('I forgot my password and need to reset it')
    t.equal(hits[0]?.title, 'Reset your password')
    t.ok(hits.length <= suggestionLimit)
    t.equal((await deflections.suggestions('vpn connect')).length, suggestionLimit, 'a broad question is cut to the limit')
    t.same(await deflections.suggestions('hi, are you there?'), [])
    t.same(await deflections.suggestions('"*+-\')'), [])
  })

  t.test('suggestions: a knowledge base that fails is logged and offers nothing, so the customer still reaches the queue', async (t) => {
    const logged: Array<{ obj: object, msg: string }> = []
    const failing: HostAdapter = { ...s.host, searchKnowledge: async () => { throw new Error('KB down') } }
    const service = createDeflectionService({ db: s.knex, host: failing, chats: s.chats, clock, log: { error: (obj, msg) => { logged.push({ obj, msg }) } } })
    t.same(await service.suggestions('reset my password'), [])
    t.equal(logged.length, 1)
    t.match(logged[0], { obj: { err: { message: 'KB down' } }, msg: /knowledge base/ })
  })

  t.test('record: the question, the article as it is now, the department and the customer', async (t) => {
    const dana = await s.user('dana')
    const { deflection, article } = await deflections.record({ question: 'Forgot my password', articleId: reset, department: support, customer: dana, email: dana.email })
    t.match(article, { id: reset, title: 'Reset your password', url: `/kb/${reset}` })
    t.match(deflection, { question: 'Forgot my password', articleId: reset, articleTitle: 'Reset your password', articleUrl: `/kb/${reset}` })
    t.match(deflection, { departmentId: 1, departmentName: 'Support', customerUserId: dana.id, customerEmail: 'dana@customer.example', createdAt: now })
    const anonymous = await deflections.record({ question: 'Password?', articleId: reset, department: null, customer: null, email: 'x@example.com' })
    t.match(anonymous.deflection, { departmentId: null, departmentName: null, customerUserId: null, customerEmail: 'x@example.com' })
  })

  t.test('record: an article the knowledge base does not have is refused and nothing is stored', async (t) => {
    const before = await count()
    for (const articleId of ['999999', 'abc', '']) {
      const err = await deflections.record({ question: 'q', articleId, department: null, customer: null, email: 'x@example.com' }).catch((e: unknown) => e)
      t.ok(isCoded(err) && err.code === 'LC_ERR_DEFLECTION_ARTICLE_UNKNOWN', JSON.stringify(articleId))
      t.equal(isCoded(err) && err.statusCode, 422)
    }
    t.equal(await count(), before)
  })

  t.test('report: newest first, and per period the deflections beside the chats started and the rate', async (t) => {
    await s.knex('lc_kb_deflections').del()
    const chatsBefore = await s.chats.startedSince([now - 7 * day, now - 30 * day])
    const empty = await deflections.report()
    t.same(empty.recent, [])
    t.same(empty.periods.map((p) => [p.days, p.deflected, p.rate === null ? null : 'some']), [[7, 0, chatsBefore[0] === 0 ? null : 'some'], [30, 0, chatsBefore[1] === 0 ? null : 'some']])

    now -= 20 * day
    await deflections.record({ question: 'Three weeks ago', articleId: reset, department: support, customer: null, email: 'a@example.com' })
    now += 20 * day
    await deflections.record({ question: 'Today', articleId: reset, department: support, customer: null, email: 'b@example.com' })
    await deflections.record({ question: 'Today again', articleId: reset, department: support, customer: null, email: 'c@example.com' })
    await given.queuedChat(s)
    const report = await deflections.report()
    t.same(report.recent.map((d) => d.question), ['Today again', 'Today', 'Three weeks ago'])
    const chats = await s.chats.startedSince([now - 7 * day, now - 30 * day])
    t.equal(chats[0], chatsBefore[0]! + 1, 'the new chat counts')
    t.match(report.periods, [
      { days: 7, deflected: 2, chats: chats[0], rate: Math.round(1000 * 2 / (2 + chats[0]!)) / 10 },
      { days: 30, deflected: 3, chats: chats[1], rate: Math.round(1000 * 3 / (3 + chats[1]!)) / 10 }
    ])
  })

  t.test('chats.startedSince: chats created since each time; none asked, none answered', async (t) => {
    t.same(await s.chats.startedSince([]), [])
    t.same(await s.chats.startedSince([now + day]), [0])
  })
})
