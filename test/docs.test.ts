import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// Comments cite what a reader of the repository can open: docs/features.md by anchor,
// docs/design.md by section. The product pages the features were first drawn from are not
// in the repository, so a citation of one by its number is a dead end.

const root = fileURLToPath(new URL('..', import.meta.url))
const scanned = ['plugin', 'views', 'public', 'migrations', 'demo-host', 'test', 'bench']
const textFile = /\.(ts|mts|mjs|js|hbs|css|json|md)$/

/** A product page cited by its number: "seed" or "seeds", then a number of three digits starting with 0. */
const outsideCitation = /\bseeds? ?0\d\d\b/i

/**
 * Files still citing outside pages while they are rewritten elsewhere. Each is reported as
 * a todo until it is clean; remove it from here once it is, so it stays clean.
 */
const beingRewritten = new Set<string>([])

function files (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : textFile.test(e.name) ? [join(dir, e.name)] : [])
}

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
function slug (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
}

t.test('no comment cites a document outside the repository', async (t) => {
  const all = scanned.flatMap((dir) => files(join(root, dir)))
  t.ok(all.length > 100, 'the tree was read')
  for (const file of all) {
    const path = relative(root, file).split('\\').join('/')
    const lines = readFileSync(file, 'utf8').split('\n')
    const cites = lines.flatMap((line, i) => outsideCitation.test(line) ? [`${path}:${i + 1}: ${line.trim().slice(0, 100)}`] : [])
    if (beingRewritten.has(path)) t.same(cites, [], `${path} (being rewritten)`, { todo: cites.length > 0 })
    else t.same(cites, [], `${path} cites docs/features.md or docs/design.md instead`)
  }
})

t.test('every docs/features.md anchor cited exists as a heading there, once', async (t) => {
  const features = readFileSync(join(root, 'docs/features.md'), 'utf8')
  const anchors = [...features.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1]!))
  t.same(anchors.filter((a, i) => anchors.indexOf(a) !== i), [], 'no two headings share an anchor')
  const known = new Set(anchors)
  for (const name of ['round-robin', 'idle-colours', 'delete-chats', 'chat-rooms']) t.ok(known.has(name), `#${name} is a heading`)

  const citing = [
    ...scanned.flatMap((dir) => files(join(root, dir))),
    join(root, 'README.md'),
    ...files(join(root, 'docs'))
  ]
  let cited = 0
  for (const file of citing) {
    const path = relative(root, file).split('\\').join('/')
    const text = readFileSync(file, 'utf8')
    const found = [...text.matchAll(/features\.md#([\p{L}\p{N}_-]+)/gu)].map((m) => m[1]!)
    // Links inside docs/features.md itself: [text](#anchor).
    if (path === 'docs/features.md') found.push(...[...text.matchAll(/\]\(#([\p{L}\p{N}_-]+)\)/gu)].map((m) => m[1]!))
    for (const anchor of found) {
      cited++
      t.ok(known.has(anchor), `${path}: docs/features.md#${anchor} is a heading of docs/features.md`)
    }
  }
  t.ok(cited > 50, `${cited} citations checked`)
})

t.test('every test file docs/features.md names exists', async (t) => {
  const features = readFileSync(join(root, 'docs/features.md'), 'utf8')
  const named = [...new Set([...features.matchAll(/`(test\/[\w/.-]+\.ts)`/g)].map((m) => m[1]!))]
  t.ok(named.length > 50, `${named.length} test files named`)
  const present = new Set(files(join(root, 'test')).map((f) => relative(root, f).split('\\').join('/')))
  for (const path of named) t.ok(present.has(path), `${path} exists`)
})
