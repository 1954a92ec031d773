import type { FromSchema } from 'json-schema-to-ts'

/** A chat and one of its files, in a route. */
export const fileParams = {
  $id: 'lc/files/params',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'fileId'],
  properties: {
    id: { type: 'integer', minimum: 1, maximum: 2147483647 },
    fileId: { type: 'integer', minimum: 1, maximum: 2147483647 }
  }
} as const
export type FileParams = FromSchema<typeof fileParams>

/**
 * Limits for the multipart upload (read by @fastify/multipart, not ajv: a stream has no
 * JSON body to validate). One file; the only field a form may add is a CSRF token.
 */
export function uploadLimits (maxFileBytes: number) {
  return { fileSize: maxFileBytes, files: 1, fields: 2, fieldSize: 1024, fieldNameSize: 64, parts: 3, headerPairs: 20 }
}
