// Module hooks that compile .ts files with esbuild as Node loads them: types are erased
// only (npm run typecheck checks them), with inline source maps so stack traces and
// coverage point at the TypeScript lines. esbuild takes about a millisecond a file where
// ts-node took seconds to start in every test process.
//
// Each file's output is kept in node_modules/.cache/ts-esm under a hash of its path, its text
// and the compiler's version and options: a hundred test processes load the same few hundred
// files, and reading the output back spares each of them esbuild's own process and a fifth
// of its start-up.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'

// The project's compiler options (verbatimModuleSyntax, target), as tsc reads them.
const { compilerOptions } = JSON.parse(readFileSync(new URL('../../tsconfig.json', import.meta.url), 'utf8'))
const { version } = JSON.parse(readFileSync(new URL('../../node_modules/esbuild/package.json', import.meta.url), 'utf8'))
const cacheDir = fileURLToPath(new URL('../../node_modules/.cache/ts-esm/', import.meta.url))
const salt = JSON.stringify({ version, compilerOptions, hooks: 1 })
mkdirSync(cacheDir, { recursive: true })

let esbuild

export async function load (url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return await nextLoad(url, context)
  const file = fileURLToPath(url)
  const text = await readFile(file, 'utf8')
  const cached = `${cacheDir}${createHash('sha1').update(salt).update('\0').update(file).update('\0').update(text).digest('hex')}.js`
  let source
  try {
    source = await readFile(cached, 'utf8')
  } catch {
    esbuild ??= await import('esbuild')
    source = (await esbuild.transform(text, {
      loader: 'ts',
      format: 'esm',
      sourcefile: file,
      sourcemap: 'inline',
      tsconfigRaw: { compilerOptions }
    })).code
    // Written whole under another name, then renamed: a process loading the same file at
    // the same moment reads the old absence or the whole output, never half of it.
    const partial = `${cached}.${process.pid}.tmp`
    writeFileSync(partial, source)
    renameSync(partial, cached)
  }
  return { format: 'module', source, shortCircuit: true }
}
