// `npm test`'s first step: the type check and the lint, side by side (each takes one core
// for about twenty seconds on a clean clone, with nothing cached). Each one's output is
// printed whole when it ends, so the two never interleave; fails when either fails.
import { spawn } from 'node:child_process'

function run (script) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    const output = []
    child.stdout.on('data', (chunk) => output.push(chunk))
    child.stderr.on('data', (chunk) => output.push(chunk))
    child.on('close', (code, signal) => {
      process.stdout.write(Buffer.concat(output))
      const ok = code === 0
      console.log(`${ok ? 'ok' : 'FAILED'}: npm run ${script}${ok ? '' : ` (${signal ?? `exit code ${code}`})`}`)
      resolve(ok)
    })
  })
}

const results = await Promise.all([run('typecheck'), run('lint')])
process.exit(results.every(Boolean) ? 0 : 1)
