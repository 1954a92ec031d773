import { readdirSync } from 'node:fs'
import { basename, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * What `npm test` runs: a dozen suites, each one process importing the test files it names, in
 * order. Every test file still runs on its own (`npx tap test/chats/service.test.ts`); a suite
 * only saves what each process would pay again (Node and its loaders, the plugin's modules,
 * the template database, coverage bookkeeping, a Chromium): about three seconds of CPU a
 * file, more than a third of a run on a two-core machine.
 *
 * An entry names a folder of test/ (its *.test.ts files, sorted), `.` for the files directly
 * in test/, or one file. Each test file belongs to exactly one suite (test/suites.test.ts).
 * The heaviest suites sort first, since tap starts them in name order.
 */
export const suites: Record<string, string[]> = {
  // Browser journeys, in three parts of about the same length; one Chromium per part.
  'browser-1': ['browser/im.test.ts', 'browser/journey.test.ts', 'browser/routing.test.ts', 'browser/lan-name.test.ts', 'browser/comments.test.ts', 'browser/layout.test.ts', 'browser/signals.test.ts'],
  'browser-2': ['browser/console.test.ts', 'browser/pane-slots.test.ts', 'browser/manual-events.test.ts', 'browser/resources.test.ts', 'browser/surveys.test.ts', 'browser/widget.test.ts', 'browser/api-tokens.test.ts', 'browser/wallboard.test.ts', 'browser/csp.test.ts', 'browser/axe.test.ts'],
  'browser-3': ['browser/delete.test.ts', 'browser/files.test.ts', 'browser/tickets.test.ts', 'browser/search.test.ts', 'browser/canned.test.ts', 'browser/import.test.ts', 'browser/webhooks.test.ts', 'browser/customer-window.test.ts', 'browser/read-marks.test.ts'],
  console: ['console'],
  customer: ['customer', 'surveys', 'transcripts', 'deflections'],
  features: ['chats', 'facts', 'comments', 'canned', 'files'],
  // validators first: it checks that schemas wait to be compiled, so no other test may have
  // compiled them in this process yet.
  ground: ['web/validators.test.ts', 'web', 'ops', 'realtime', 'security', 'preferences', 'db'],
  host: ['.', 'demo-host', 'host'],
  im: ['im', 'routing'],
  jobs: ['jobs', 'items', 'manual-events'],
  // Hundreds of real sockets on a server kept busy: a process of their own.
  load: ['load'],
  screens: ['admin', 'audit', 'blocklist', 'fields', 'search', 'tickets', 'resources', 'api', 'reports'],
  webhooks: ['webhooks']
}

const testRoot = resolve(import.meta.dirname, '..')

/** The test files an entry names, as paths relative to test/. */
export function entryFiles (entry: string): string[] {
  if (entry.endsWith('.test.ts')) return [entry]
  return readdirSync(join(testRoot, entry), { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(testRoot, join(testRoot, entry, e.name)))
    .sort()
}

/** A suite's test files in the order they run; a file named twice runs where first named. */
export function suiteFiles (name: string): string[] {
  const entries = suites[name]
  if (!entries) throw new Error(`no suite named ${name} in test/helpers/suites.ts`)
  return [...new Set(entries.flatMap(entryFiles))]
}

/** Runs the suite a file of test/suites/ is named after. */
export async function runSuite (suiteUrl: string): Promise<void> {
  // Importing a file queues its tests on tap's root behind those of the files before it. (No
  // comment naming the file: one written while a test runs breaks the nesting of tap's output;
  // a failure names its file anyway.)
  for (const file of suiteFiles(basename(fileURLToPath(suiteUrl), '.ts'))) {
    await import(pathToFileURL(join(testRoot, file)).href)
  }
}
