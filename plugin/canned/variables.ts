/*
 * The variables a canned reply's text may hold, written literally as {{customer.name}} and
 * so on: checked when a reply is saved, filled in for each chat when an agent inserts it.
 */

export const cannedVariables = ['customer.name', 'customer.email', 'agent.name', 'chat.number'] as const
export type CannedVariable = typeof cannedVariables[number]
export type CannedValues = Record<CannedVariable, string>

const variablePattern = /\{\{\s*([^{}]*?)\s*\}\}/g

/** Every variable as it is written, for a message or a hint: {{customer.name}}, … */
export const writtenVariables = cannedVariables.map((v) => `{{${v}}}`)

/**
 * The first thing in a body that is written like a variable but is not one: an unknown
 * `{{name}}`, or a `{{` / `}}` without its other half. Null when the body is fine.
 */
export function unknownVariable (body: string): string | null {
  for (const m of body.matchAll(variablePattern)) {
    if (!(cannedVariables as readonly string[]).includes(m[1]!)) return m[0]
  }
  const rest = body.replace(variablePattern, '')
  const open = rest.indexOf('{{')
  if (open >= 0) return rest.slice(open, open + 30).split(/\s/)[0]!
  const close = rest.indexOf('}}')
  if (close >= 0) return rest.slice(Math.max(0, close - 28), close + 2).split(/\s/).at(-1)!
  return null
}

/**
 * The body with its variables replaced by this chat's values, in one pass: a value that
 * itself looks like a variable (a customer named "{{agent.name}}") stays as it is. Never
 * a template engine: the text goes out escaped like any message.
 */
export function fillReply (body: string, values: CannedValues): string {
  return body.replace(variablePattern, (whole, name: string) => (values as Record<string, string>)[name] ?? whole)
}
