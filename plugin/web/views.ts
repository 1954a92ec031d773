import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import Handlebars from 'handlebars'
import { projectRoot } from '../manifest.ts'
import { targetId } from '../realtime/targets.ts'
import { type AssetName, assetUrl } from './assets.ts'

export const viewsRoot = resolve(projectRoot, 'views')

export interface Views {
  hb: typeof Handlebars
  /** Renders a partial (views/<cap>/<noun>.hbs, registered as <cap>/<noun>) to a string. */
  render (name: string, data: object): string
}

function listHbs (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listHbs(join(dir, e.name)) : e.name.endsWith('.hbs') ? [join(dir, e.name)] : [])
}

/**
 * The plugin's private Handlebars instance: never the host's global one, so neither side's
 * helpers or partials change the other's pages.
 */
export function createViews (root = viewsRoot): Views {
  const hb = Handlebars.create()
  const compiled = new Map<string, Handlebars.TemplateDelegate>()

  // Handlebars passes its options object last; ids take at most two numbers. A page calls this
  // hundreds of times, so without a rest array and its copy.
  hb.registerHelper('lcId', function (name: string, a?: unknown, b?: unknown) {
    switch (arguments.length) {
      case 2: return targetId(name)
      case 3: return targetId(name, a)
      default: return targetId(name, a, b)
    }
  })
  hb.registerHelper('lcAsset', (base: string, name: AssetName) => assetUrl(base, name))
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b)
  // Times go out as UTC in a <time datetime>; public/js/core.js shows them in the viewer's zone.
  // One ISO string a time, its hours and minutes read from it (YYYY-MM-DDTHH:MM:SS.sssZ): a
  // transcript shows one a message.
  hb.registerHelper('time', (ms: unknown) => {
    if (typeof ms !== 'number') return ''
    const iso = new Date(ms).toISOString()
    return new hb.SafeString(`<time datetime="${iso}">${iso.slice(11, 16)}</time>`)
  })
  hb.registerHelper('datetime', (ms: unknown) => {
    if (typeof ms !== 'number') return ''
    const iso = new Date(ms).toISOString()
    return new hb.SafeString(`<time datetime="${iso}" data-format="datetime">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`)
  })
  hb.registerHelper('duration', (from: unknown, to: unknown) => {
    if (typeof from !== 'number') return ''
    const end = typeof to === 'number' ? to : Date.now()
    const s = Math.max(0, Math.round((end - from) / 1000))
    return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor(s % 3600 / 60)}m`
  })

  for (const file of listHbs(root)) {
    if (file.endsWith('.page.hbs')) continue
    const name = relative(root, file).replace(/\\/g, '/').replace(/\.hbs$/, '')
    // preventIndent: Handlebars would otherwise indent every line of a partial to its call
    // site, and that includes the lines of a textarea's value, which the browser keeps.
    const template = hb.compile(readFileSync(file, 'utf8'), { strict: false, preventIndent: true })
    hb.registerPartial(name, template)
    compiled.set(name, template)
  }

  return {
    hb,
    render (name, data) {
      const template = compiled.get(name)
      if (!template) throw new Error(`No partial named "${name}" in ${root}`)
      return template(data)
    }
  }
}

let shared: Views | undefined

/**
 * The plugin's views, compiled once per process and shared by every plugin instance in it
 * (their templates are the same files). Pages, htmx answers and socket pushes all render
 * through it, so a partial is one fragment wherever it is sent.
 */
export function pluginViews (): Views {
  return (shared ??= createViews())
}

/** Renders one of the plugin's partials (views/<cap>/<noun>.hbs) to a string. */
export function render (name: string, data: object): string {
  return pluginViews().render(name, data)
}

// @fastify/view is registered with propertyName 'lcView' so it never clashes with a host's own reply.view.
declare module 'fastify' {
  interface FastifyReply {
    lcView: (page: string, data?: object) => FastifyReply
  }
}
