/** The CSRF token as a form field (htmx sends it as a header, plain forms as `_csrf`). */
export const csrfField = { type: 'string', maxLength: 200 } as const

/** A row id in a route: a positive 32-bit integer. */
export const idField = { type: 'integer', minimum: 1, maximum: 2147483647 } as const

/** The body of a POST that carries nothing but its CSRF token. */
export const csrfOnlyBody = {
  $id: 'lc/security/csrf-only',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { _csrf: csrfField }
} as const

/** Moving a row of an ordered list (custom fields, manual events) one place up or down. */
export const moveBody = {
  $id: 'lc/security/move',
  type: 'object',
  additionalProperties: false,
  required: ['direction'],
  properties: { direction: { enum: ['up', 'down'] }, _csrf: csrfField }
} as const
