// Writes manifest.json's settingsSchema from plugin/settings.ts, the one source of the
// settings. Only that key is rewritten; the rest of the file keeps its bytes, so
// hand-kept sections stay as their authors laid them out. test/settings.test.ts fails when
// the file and the source differ.
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { projectRoot } from '../plugin/manifest.ts'
import { settingsSchema } from '../plugin/settings.ts'

export const manifestFile = resolve(projectRoot, 'manifest.json')

/** Where the value of a top-level key starts and ends in a JSON object's text. */
function valueSpan (text: string, key: string): { start: number, end: number } {
  let depth = 0
  let i = 0
  let expectKey = false
  while (i < text.length) {
    const c = text[i]!
    if (c === '"') {
      const close = stringEnd(text, i)
      if (depth === 1 && expectKey && text.slice(i + 1, close) === key) {
        let start = text.indexOf(':', close + 1) + 1
        while (/\s/.test(text[start]!)) start++
        return { start, end: valueEnd(text, start) }
      }
      i = close + 1
      expectKey = false
      continue
    }
    if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
    if (c === '{' || c === ',') expectKey = true
    i++
  }
  throw new Error(`manifest.json has no top-level "${key}"`)
}

/** The index of the quote closing the string that opens at `open`. */
function stringEnd (text: string, open: number): number {
  let i = open + 1
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1
  return i
}

/** The index just past the JSON value (object, array, string or scalar) starting at `start`. */
function valueEnd (text: string, start: number): number {
  if (text[start] === '"') return stringEnd(text, start) + 1
  if (text[start] !== '{' && text[start] !== '[') return start + /^[^,}\]\s]*/.exec(text.slice(start))![0].length
  let depth = 0
  for (let i = start; i < text.length; i++) {
    const c = text[i]
    if (c === '"') i = stringEnd(text, i)
    else if (c === '{' || c === '[') depth++
    else if ((c === '}' || c === ']') && --depth === 0) return i + 1
  }
  throw new Error('manifest.json ends inside a value')
}

/** The manifest text with its settingsSchema written from plugin/settings.ts, two-space indented. */
export function withSettingsSchema (text: string): string {
  const { start, end } = valueSpan(text, 'settingsSchema')
  const value = JSON.stringify(settingsSchema, null, 2).replaceAll('\n', '\n  ')
  return text.slice(0, start) + value + text.slice(end)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const before = readFileSync(manifestFile, 'utf8')
  const after = withSettingsSchema(before)
  if (after === before) {
    console.log('manifest.json: settingsSchema is up to date')
  } else {
    writeFileSync(manifestFile, after)
    console.log('manifest.json: settingsSchema written from plugin/settings.ts')
  }
}
