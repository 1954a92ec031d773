import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'

/**
 * The plugin's own Ajv: reject unknown fields instead of stripping them,
 * stop at the first error so the message names one thing to fix.
 */
export function createAjv (opts: { coerceTypes?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    removeAdditional: false,
    allErrors: false,
    useDefaults: true,
    coerceTypes: opts.coerceTypes ?? false,
    strict: false
  })
  addFormats.default(ajv)
  return ajv
}

const uncompiled = new Set<() => void>()

/**
 * A validator that compiles its schema on first use. Compiling is most of what starting the
 * plugin costs, and a process seldom needs every schema (a test uses a handful of its routes
 * and frames). `compileEveryValidator` compiles what is left, so a schema that cannot compile
 * still fails a test (test/web/validators.test.ts) rather than a first request in production.
 */
export function compiledOnUse<T = unknown> (ajv: Ajv, schema: object): ValidateFunction<T> {
  let compiled: ValidateFunction<T> | undefined
  const compile = (): ValidateFunction<T> => {
    uncompiled.delete(compile)
    return (compiled ??= ajv.compile<T>(schema))
  }
  uncompiled.add(compile)
  const validate = ((data: unknown) => {
    const inner = compiled ?? compile()
    const ok = inner(data)
    validate.errors = inner.errors
    return ok
  }) as ValidateFunction<T>
  validate.errors = null
  return validate
}

/** Compiles every validator not compiled yet; returns how many it compiled. */
export function compileEveryValidator (): number {
  const pending = [...uncompiled]
  for (const compile of pending) compile()
  return pending.length
}

const fieldNames: Record<string, string> = {
  body: 'Message',
  customer_name: 'Name',
  name: 'Name',
  email: 'Email',
  question: 'Question'
}

/** One sentence a person can act on: which field, what is wrong, what is allowed. */
export function describeAjvError (error: ErrorObject, root = 'request'): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.')
  const field = path || root
  const label = fieldNames[path] ?? field
  const p = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required': return `${label === root ? '' : label + ': '}${fieldNames[String(p.missingProperty)] ?? String(p.missingProperty)} is required`.trim()
    case 'additionalProperties': return `${field}: "${String(p.additionalProperty)}" is not a known field`
    case 'enum': return `${label} must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`
    case 'maxLength': return `${label} can be at most ${String(p.limit)} characters`
    case 'minLength': return Number(p.limit) === 1 ? `${label} is required` : `${label} needs at least ${String(p.limit)} characters`
    case 'format': return `${label} must be a valid ${String(p.format)}`
    case 'type': return `${label} must be ${String(p.type)}`
    case 'minimum': return `${label} must be at least ${String(p.limit)}`
    case 'maximum': return `${label} can be at most ${String(p.limit)}`
    case 'pattern': return `${label} has characters that are not allowed`
    case 'const': return `${label} must be ${JSON.stringify(p.allowedValue)}`
    default: return `${label} ${error.message ?? 'is invalid'}`
  }
}

/** Field name → message, for re-rendering a form with messages beside its fields. */
export function fieldErrors (errors: ErrorObject[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of errors ?? []) {
    const key = e.keyword === 'required' ? String((e.params as { missingProperty?: string }).missingProperty) : e.instancePath.replace(/^\//, '')
    out[key] ??= describeAjvError(e)
  }
  return out
}
