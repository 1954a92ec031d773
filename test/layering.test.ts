import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import t from 'tap'
import ts from 'typescript'

// The layering of docs/design.md §1, checked on the code itself: each top-level module of
// plugin/ sits on a tier, and an import may only run to its own tier or a lower one. A new
// module must be given its tier here, so where it belongs is decided once, in review.
const tiers: Record<string, string[]> = {
  ground: ['errors', 'validation', 'cache', 'workers', 'db', 'host', 'manifest', 'settings', 'views', 'realtime', 'web'],
  domain: ['routing', 'facts', 'chats', 'preferences', 'security', 'blocklist', 'webhooks', 'audit'],
  features: ['canned', 'comments', 'items', 'manual-events', 'fields', 'files', 'surveys', 'tickets', 'transcripts', 'resources', 'search', 'deflections'],
  screens: ['console', 'customer', 'im', 'admin', 'jobs', 'ops', 'api', 'reports'],
  top: ['index']
}
const tierOf = new Map(Object.values(tiers).flatMap((modules, rank) => modules.map((m) => [m, rank] as const)))
const tierName = Object.keys(tiers)

/** Types a lower module may name from above: the domain objects the bus carries. */
const sharedTypes = new Set(['chats/types.ts', 'im/types.ts'])

/** Files only the wiring (index.ts) may import from another module: endpoints and storage. */
const privateFile = /(^|\/)([a-z-]+-)?(routes|store|socket)\.ts$/

const pluginRoot = resolve(import.meta.dirname, '../plugin')

function tsFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [])
}

/** 'chats/service.ts' → 'chats'; 'index.ts' → 'index'. */
function moduleOf (path: string): string {
  return path.includes('/') ? path.slice(0, path.indexOf('/')) : path.replace(/\.ts$/, '')
}

interface Import { from: string, to: string, typeOnly: boolean }

/** Every import and re-export between plugin files, read with TypeScript's own parser. */
function importsOf (file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false)
  const out: Import[] = []
  const from = relative(pluginRoot, file)
  const add = (specifier: ts.Expression | undefined, typeOnly: boolean): void => {
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return
    const to = relative(pluginRoot, resolve(dirname(file), specifier.text))
    if (to.startsWith('..')) return
    out.push({ from, to, typeOnly })
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause
      const named = clause?.namedBindings
      const allTypes = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && named !== undefined &&
        ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)))
      add(node.moduleSpecifier, allTypes)
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly)
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return out
}

const files = tsFiles(pluginRoot)
const imports = files.flatMap(importsOf)

/** Why an import is forbidden, or null when it is fine. */
function violation ({ from, to, typeOnly }: Import): string | null {
  const a = moduleOf(from)
  const b = moduleOf(to)
  if (a === b) return null
  const ta = tierOf.get(a)
  const tb = tierOf.get(b)
  if (ta === undefined || tb === undefined) return `${ta === undefined ? a : b} has no tier in test/layering.test.ts`
  if (a !== 'index' && privateFile.test(to)) return `imports another module's ${to.slice(to.lastIndexOf('/') + 1)}; call its service or view-models`
  if (tb <= ta) return null
  if (typeOnly && a === 'realtime' && sharedTypes.has(to)) return null
  return `${tierName[ta]} module ${a} imports ${typeOnly ? 'a type from ' : ''}${tierName[tb]} module ${b}`
}

t.test('layering', async (t) => {
  t.test('every module of plugin/ has a tier', async (t) => {
    const modules = new Set(files.map((f) => moduleOf(relative(pluginRoot, f))))
    for (const m of modules) t.ok(tierOf.has(m), `${m} has a tier`)
  })

  t.test('no import runs from a lower tier to a higher one, nor into another module\'s routes, sockets or store', async (t) => {
    t.ok(imports.length > 100, 'imports were read')
    const found = imports.map((i) => ({ i, why: violation(i) })).filter((v) => v.why !== null)
    t.same(found.map(({ i, why }) => `${i.from} → ${i.to}: ${why}`), [])
  })

  t.test('modules import each other without cycles', async (t) => {
    const edges = new Map<string, Set<string>>()
    for (const { from, to, typeOnly } of imports) {
      if (typeOnly || moduleOf(from) === moduleOf(to)) continue
      const set = edges.get(moduleOf(from)) ?? new Set<string>()
      set.add(moduleOf(to))
      edges.set(moduleOf(from), set)
    }
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const walk = (m: string, path: string[]): void => {
      if (state.get(m) === 'done') return
      if (state.get(m) === 'open') { cycles.push([...path.slice(path.indexOf(m)), m].join(' → ')); return }
      state.set(m, 'open')
      for (const n of edges.get(m) ?? []) walk(n, [...path, m])
      state.set(m, 'done')
    }
    for (const m of edges.keys()) walk(m, [])
    t.same(cycles, [])
  })

  t.test('there is no bag of every service: each route module declares what it uses', async (t) => {
    t.notOk(files.some((f) => f.endsWith('/deps.ts')), 'plugin/deps.ts is gone')
  })
})
