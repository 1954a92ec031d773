import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { transform } from 'esbuild'
import type { FastifyInstance } from 'fastify'
import { projectRoot } from '../manifest.ts'

/**
 * The stylesheet and the two page scripts as served (docs/design.md §9): each side's script is
 * the shared core followed by that side's own file, so the customer's window never loads the
 * console's keyboard layer, palette or lists. The readable sources stay in public/ (and are
 * served from there too); what pages name is minified once per process and addressed by its
 * content's hash, so a browser keeps it for good and a new release is a new address.
 */
const sources = {
  'livechat.css': ['livechat.css'],
  'customer.js': ['js/core.js', 'js/customer.js'],
  'console.js': ['js/core.js', 'js/console.js']
} as const

export type AssetName = keyof typeof sources

/** A built asset: its address under the prefix and what is sent. */
export interface BuiltAsset { file: string, hash: string, type: string, body: Buffer }

/** The route's parameter: a built asset's file name, `<name>.<hash>.<ext>`. */
export const assetParams = {
  $id: 'lc/web/asset-params',
  type: 'object',
  additionalProperties: false,
  required: ['file'],
  properties: { file: { type: 'string', maxLength: 40, pattern: '^[a-z]+\\.[0-9a-f]{12}\\.(js|css)$' } }
} as const

let built: Promise<Map<AssetName, BuiltAsset>> | undefined
let ready: Map<AssetName, BuiltAsset> | undefined

async function build (): Promise<Map<AssetName, BuiltAsset>> {
  const out = new Map<AssetName, BuiltAsset>()
  for (const [name, parts] of Object.entries(sources) as Array<[AssetName, readonly string[]]>) {
    const texts = await Promise.all(parts.map(async (p) => await readFile(resolve(projectRoot, 'public', p), 'utf8')))
    const css = name.endsWith('.css')
    // Each script part is a statement list of its own; the semicolon keeps an IIFE from
    // reading as a call on the part before it.
    const { code } = await transform(texts.join(css ? '\n' : '\n;\n'), { loader: css ? 'css' : 'js', minify: true, legalComments: 'none' })
    const body = Buffer.from(code)
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12)
    const [stem, ext] = name.split('.') as [string, string]
    out.set(name, { file: `${stem}.${hash}.${ext}`, hash, type: css ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', body })
  }
  ready = out
  return out
}

/** The built assets, made on the first call of the process and shared by every plugin instance in it. */
export async function builtAssets (): Promise<Map<AssetName, BuiltAsset>> {
  built ??= build()
  return await built
}

/**
 * A built asset's address under the plugin's prefix, for the layout (the `lcAsset` helper).
 * The plugin builds them while it installs, before any page can be drawn.
 */
export function assetUrl (base: string, name: AssetName): string {
  const asset = ready?.get(name)
  if (!asset) throw new Error(`The asset ${name} is not built: builtAssets() runs when the plugin installs`)
  return `${base}/assets/min/${asset.file}`
}

/**
 * Serves the built assets at `/assets/min/<file>`. The hash is the ETag too, so a browser
 * that lost the long cache revalidates without a body.
 */
export async function serveBuiltAssets (fastify: FastifyInstance): Promise<void> {
  const assets = await builtAssets()
  const byFile = new Map([...assets.values()].map((a) => [a.file, a]))
  fastify.get<{ Params: { file: string } }>('/assets/min/:file', { schema: { params: assetParams } }, async (request, reply) => {
    const asset = byFile.get(request.params.file)
    // An address from an earlier release: not found, as any other unknown address.
    if (!asset) { reply.callNotFound(); return reply }
    reply.header('cache-control', 'public, max-age=31536000, immutable').header('etag', `"${asset.hash}"`)
    if (request.headers['if-none-match'] === `"${asset.hash}"`) return await reply.code(304).send()
    return await reply.type(asset.type).send(asset.body)
  })
}
