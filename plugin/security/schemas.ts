/** The body of a POST that carries nothing but its CSRF token (htmx sends it as a header, forms as a field). */
export const csrfOnlyBody = {
  $id: 'lc/security/csrf-only',
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { _csrf: { type: 'string', maxLength: 200 } }
} as const
