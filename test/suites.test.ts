import { readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import t from 'tap'
import { entryFiles, suiteFiles, suites } from './helpers/suites.ts'

// npm test runs the suites of test/helpers/suites.ts, not the test files one by one: a test
// file no suite names would never run there, and one named by two would run twice.

const testRoot = import.meta.dirname

function testFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [relative(testRoot, join(dir, e.name))] : [])
}

t.test('every test file runs in exactly one suite', async (t) => {
  const claimed = new Map<string, string[]>()
  for (const name of Object.keys(suites)) {
    for (const file of suiteFiles(name)) claimed.set(file, [...claimed.get(file) ?? [], name])
  }
  const files = testFiles(testRoot).sort()
  t.same(files.filter((f) => !claimed.has(f)), [], 'no test file is left out')
  t.same([...claimed].filter(([, by]) => by.length > 1), [], 'none runs twice')
  t.same([...claimed.keys()].filter((f) => !files.includes(f)), [], 'every file a suite names exists')
})

t.test('every suite has its entry file in test/suites/, and no entry file is without a suite', async (t) => {
  const entries = readdirSync(resolve(testRoot, 'suites')).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort()
  t.same(entries, Object.keys(suites).sort())
  t.ok(Object.values(suites).every((list) => list.every((entry) => entryFiles(entry).length > 0)), 'no entry names an empty folder')
})
