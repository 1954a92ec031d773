import { connectOrExit, describeDatabase } from './database.ts'
import { prepareDatabase } from './setup.ts'

const knex = await connectOrExit()
try {
  await prepareDatabase(knex)
  console.log(`Database ready: ${describeDatabase()}`)
} catch (err) {
  console.error(`Migration failed (${describeDatabase()}):`, err)
  process.exitCode = 1
} finally {
  await knex.destroy()
}
