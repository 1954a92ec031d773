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

const pad = (n: number): string => String(n).padStart(2, '0')

/**
 * The plugin's private Handlebars instance: never the host's global one, so neither side's
 * helpers or partials change the other's pages.
 */
export function createViews (root = viewsRoot): Views {
  const hb = Handlebars.create()
  const compiled = new Map<string, Handlebars.TemplateDelegate>()

  hb.registerHelper('lcId', (name: string, ...rest: unknown[]) => targetId(name, ...rest.slice(0, -1)))
  hb.registerHelper('lcAsset', (base: string, name: AssetName) => assetUrl(base, name))
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b)
  // Times go out as UTC in a <time datetime>; public/js/core.js shows them in the viewer's zone.
  hb.registerHelper('time', (ms: unknown) => {
    if (typeof ms !== 'number') return ''
    const d = new Date(ms)
    return new hb.SafeString(`<time datetime="${d.toISOString()}">${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}</time>`)
  })
  hb.registerHelper('datetime', (ms: unknown) => {
    if (typeof ms !== 'number') return ''
    const d = new Date(ms)
    return new hb.SafeString(`<time datetime="${d.toISOString()}" data-format="datetime">${d.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>`)
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
