import type { FromSchema } from 'json-schema-to-ts'

/** The printout's address: `?print=1` (how the chat header's Print opens it) asks the page to open the print dialog. */
export const printQuery = {
  $id: 'lc/transcripts/print-query',
  type: 'object',
  additionalProperties: false,
  properties: { print: { enum: ['1'] } }
} as const
export type PrintQuery = FromSchema<typeof printQuery>
