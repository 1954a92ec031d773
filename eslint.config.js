import neostandard from 'neostandard'

export default [
  ...neostandard({
    ts: true,
    ignores: ['node_modules/**', 'data/**', 'coverage/**', '.tap/**', 'dist/**'],
    env: ['node']
  }),
  {
    rules: {
      // `void promise` marks a deliberate fire-and-forget (pushes to sockets); elsewhere it is refused.
      'no-void': ['error', { allowAsStatement: true }],
      // Enums are `as const` objects with a type of the same name (STYLE §1).
      '@typescript-eslint/no-redeclare': 'off'
    }
  },
  {
    // The wiring reads as a list, one statement a line (docs/design.md §1).
    files: ['plugin/index.ts'],
    rules: { '@stylistic/max-len': ['error', { code: 120, ignoreComments: false }] }
  },
  {
    files: ['public/**/*.js'],
    languageOptions: { globals: { htmx: 'readonly', document: 'readonly', location: 'readonly', window: 'readonly', URL: 'readonly' } }
  }
]
