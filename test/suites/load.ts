import { runSuite } from '../helpers/suites.ts'

await runSuite(import.meta.url)
