/*
 * The API reference page (docs/features.md#json-api), made on the server from the OpenAPI
 * document @fastify/swagger writes: no third-party viewer, nothing run in the browser, and
 * it cannot say anything the document does not.
 */

interface Operation {
  summary?: string
  tags?: string[]
  security?: Array<Record<string, string[]>>
  parameters?: Array<{ name: string, in: string, required?: boolean, description?: string, schema?: object }>
  requestBody?: { content?: Record<string, { schema?: object }> }
  responses?: Record<string, { description?: string, content?: Record<string, { schema?: object }> }>
}

interface OpenApiDocument {
  info: { title: string, version: string, description?: string }
  paths: Record<string, Record<string, Operation>>
}

/** views/api/reference.page.hbs: the operations by tag, each with its scope, parameters, body and answers. */
export interface ReferenceModel {
  /** Not `title`: the layout's own title parameter would hide it inside the page's block. */
  docTitle: string
  description: string
  tags: Array<{
    name: string
    operations: Array<{
      anchor: string
      method: string
      path: string
      summary: string
      scope: string
      parameters: Array<{ name: string, in: string, required: boolean, type: string, description: string }>
      body: string | null
      responses: Array<{ status: string, description: string, schema: string | null }>
    }>
  }>
}

const pretty = (schema: object | undefined): string | null => schema === undefined ? null : JSON.stringify(schema, null, 2)

function typeOf (schema: object | undefined): string {
  const s = schema as { type?: string | string[], enum?: unknown[] } | undefined
  if (!s) return ''
  if (s.enum) return s.enum.join(' | ')
  return Array.isArray(s.type) ? s.type.join(' | ') : s.type ?? ''
}

export function referenceModel (doc: OpenApiDocument): ReferenceModel {
  const tags = new Map<string, ReferenceModel['tags'][number]['operations']>()
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags?.[0] ?? 'other'
      const list = tags.get(tag) ?? []
      list.push({
        anchor: `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-'),
        method: method.toUpperCase(),
        path,
        summary: op.summary ?? '',
        scope: op.security?.[0]?.token?.join(', ') ?? '',
        parameters: (op.parameters ?? []).map((p) => ({ name: p.name, in: p.in, required: p.required === true, type: typeOf(p.schema), description: p.description ?? '' })),
        body: pretty(op.requestBody?.content?.['application/json']?.schema),
        responses: Object.entries(op.responses ?? {}).filter(([status]) => status.startsWith('2')).map(([status, r]) => ({
          status, description: r.description ?? '', schema: pretty(r.content?.['application/json']?.schema)
        }))
      })
      tags.set(tag, list)
    }
  }
  // The description is CommonMark; shown as text, its code marks would be noise.
  return { docTitle: doc.info.title, description: (doc.info.description ?? '').replaceAll('`', ''), tags: [...tags].map(([name, operations]) => ({ name, operations })) }
}
