import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('../..', import.meta.url))

function runServer (env: Record<string, string>): Promise<{ code: number | null, stderr: string, stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo-host/server.ts'], { cwd: root, env: { ...process.env, ...env } })
    let stderr = ''
    let stdout = ''
    child.stderr.on('data', (d) => { stderr += String(d) })
    child.stdout.on('data', (d) => { stdout += String(d) })
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
    child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stderr, stdout }) })
  })
}

t.test('npm start with an unreachable database', async (t) => {
  // Port 9 (discard) on loopback has no database: the connection is refused at once.
  const res = await runServer({ DATABASE_URL: 'mysql://someone:secret@127.0.0.1:9/nothing', PORT: '0' })
  t.equal(res.code, 1, 'exits non-zero')
  const lines = res.stderr.trim().split('\n').filter((l) => !/^npm warn/.test(l))
  t.equal(lines.length, 1, `one line: ${res.stderr}`)
  t.match(lines[0], /^Cannot connect to the database \(DATABASE_URL=mysql:\/\/someone:\*\*\*@127\.0\.0\.1:9\/nothing\): .*ECONNREFUSED/)
  t.notMatch(res.stderr, /secret/, 'the password is not printed')
})
