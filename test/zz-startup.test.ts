import t from 'tap'
import { buildDemoHost } from '../demo-host/app.ts'
import { preparedDatabase } from './helpers/db.ts'
const t0 = performance.now()
const lap = (l: string) => console.error(l, (performance.now() - t0).toFixed(0))
lap('imported')
t.test('x', async (t) => {
  const { knex, drop } = await preparedDatabase(); lap('db')
  const app = await buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false } }); lap('built')
  await app.ready(); lap('ready')
  await app.close(); lap('closed')
  await drop(); lap('dropped')
  t.pass()
})
process.on('exit', () => lap('exit'))
