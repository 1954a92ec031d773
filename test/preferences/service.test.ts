import t from 'tap'
import { createPreferenceService } from '../../plugin/preferences/service.ts'
import { putPreference } from '../../plugin/preferences/store.ts'
import { services } from '../helpers/given.ts'

// What an agent chose for themselves, kept per agent and key as JSON on a fresh database.

t.test('preferences: service', async (t) => {
  const s = await services(t)
  let now = 1_700_000_000_000
  const preferences = createPreferenceService({ db: s.knex, clock: () => now })
  const row = async (agentId: string, key: string) => await s.knex('lc_agent_preferences').where({ agent_id: agentId, key }).first()

  t.test('get: a value never set is undefined', async (t) => {
    t.equal(await preferences.get('7', 'list.fields'), undefined)
  })

  t.test('set then get round-trips JSON: objects, arrays, strings, numbers, booleans and null', async (t) => {
    const values: Array<[string, unknown]> = [
      ['object', { fields: ['customer', 'status'], sort: { by: 'createdAt', desc: true }, note: 'Ünïcode ✓ "quoted"' }],
      ['array', [1, 'two', { three: 3 }, [4]]],
      ['empty array', []],
      ['string', 'beforeend'],
      ['empty string', ''],
      ['number', 42.5],
      ['boolean', false],
      ['null', null]
    ]
    for (const [key, value] of values) await preferences.set('7', key, value)
    for (const [key, value] of values) t.strictSame(await preferences.get('7', key), value, key)
  })

  t.test('set twice keeps the last value, in one row', async (t) => {
    await preferences.set('7', 'alerts', { sound: true })
    await preferences.set('7', 'alerts', { sound: false, browser: true })
    t.strictSame(await preferences.get('7', 'alerts'), { sound: false, browser: true })
    t.equal(Number((await s.knex('lc_agent_preferences').where({ agent_id: '7', key: 'alerts' }).count({ n: '*' }))[0]!.n), 1)
  })

  t.test('get: a stored value that is not JSON reads as undefined', async (t) => {
    await putPreference(s.knex, { agent_id: '7', key: 'broken', value: '{"fields": [', updated_at: now })
    t.equal(await preferences.get('7', 'broken'), undefined)
    await putPreference(s.knex, { agent_id: '7', key: 'bare', value: 'not json', updated_at: now })
    t.equal(await preferences.get('7', 'bare'), undefined)
  })

  t.test('values are kept per agent and per key', async (t) => {
    await preferences.set('8', 'list.fields', ['a'])
    await preferences.set('9', 'list.fields', ['b'])
    await preferences.set('8', 'im.fields', ['c'])
    t.strictSame(await preferences.get('8', 'list.fields'), ['a'])
    t.strictSame(await preferences.get('9', 'list.fields'), ['b'])
    t.strictSame(await preferences.get('8', 'im.fields'), ['c'])
    t.equal(await preferences.get('9', 'im.fields'), undefined)
    await preferences.set('9', 'list.fields', ['d'])
    t.strictSame(await preferences.get('8', 'list.fields'), ['a'], 'another agent\'s change leaves it')
  })

  t.test('updated_at is the clock\'s time of the last set', async (t) => {
    now = 1_700_000_100_000
    await preferences.set('10', 'alerts', { sound: true })
    t.equal(Number((await row('10', 'alerts')).updated_at), 1_700_000_100_000)
    now = 1_700_000_200_000
    await preferences.set('10', 'alerts', { sound: false })
    t.equal(Number((await row('10', 'alerts')).updated_at), 1_700_000_200_000)
    t.equal((await row('10', 'alerts')).value, '{"sound":false}', 'stored as JSON text')
  })
})
