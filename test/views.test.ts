import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { viewsRoot } from '../plugin/web/views.ts'

function hbsFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? hbsFiles(join(dir, e.name)) : e.name.endsWith('.hbs') ? [join(dir, e.name)] : [])
}

t.test('views', async (t) => {
  t.test('never render anything with a triple-stash: user text is always escaped', async (t) => {
    const files = hbsFiles(viewsRoot)
    t.ok(files.length > 10)
    for (const file of files) {
      const triples = readFileSync(file, 'utf8').match(/\{\{\{[^}]*\}\}\}/g) ?? []
      t.same(triples, [], file)
    }
  })

  t.test('pages compose partials inside the layout; every partial root carries an id from targets', async (t) => {
    for (const file of hbsFiles(viewsRoot).filter((f) => f.endsWith('.page.hbs'))) {
      t.match(readFileSync(file, 'utf8'), /^\{\{#> layouts\/main /, file)
    }
  })

  // htmx 4 drops a response whose target has left the page; an action's default target is
  // itself, and a live push may replace it (the queue, a composer) before the answer comes.
  t.test('every htmx action targets the notice area, which no push replaces', async (t) => {
    let actions = 0
    for (const file of hbsFiles(viewsRoot)) {
      for (const tag of readFileSync(file, 'utf8').match(/<[a-z]+[^>]*\bhx-(post|get|put|delete)="[^>]*>/g) ?? []) {
        actions++
        t.match(tag, /hx-target="#\{\{lcId 'notice'\}\}"/, `${file}: ${tag.slice(0, 80)}`)
      }
    }
    t.ok(actions >= 3)
  })
})
