// Loads the tests' TypeScript through esbuild (hooks.mjs): tap starts each test file as
// `node --import=./test/loader/register.mjs file.ts` (.taprc node-arg).
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
