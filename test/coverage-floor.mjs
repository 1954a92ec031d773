// Fails `npm test` when plugin/ line coverage drops below the floor .taprc promises. Reads
// the json-summary tap wrote at the end of its run; one left from an earlier run is refused.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const floor = 90
const summaryFile = '.tap/report/coverage-summary.json'
const coverageDir = '.tap/coverage'

function fail (message) {
  console.error(`coverage floor: ${message}`)
  process.exit(1)
}

// A run told not to measure coverage (TAP_DISABLE_COVERAGE, as CI's MariaDB run is: the
// embedded run measures it over the same code) has nothing to check.
if (/^(1|true)$/i.test(process.env.TAP_DISABLE_COVERAGE ?? '')) {
  console.log('coverage floor: not measured on this run (TAP_DISABLE_COVERAGE)')
  process.exit(0)
}

let written
try {
  written = statSync(summaryFile).mtimeMs
} catch {
  fail(`no ${summaryFile}: did tap run with coverage?`)
}
const captured = readdirSync(coverageDir).map((f) => statSync(join(coverageDir, f)).mtimeMs)
if (captured.length === 0) fail(`no coverage in ${coverageDir}`)
if (written < Math.max(...captured)) fail(`${summaryFile} is older than this run's coverage`)

const { pct, covered, total } = JSON.parse(readFileSync(summaryFile, 'utf8')).total.lines
if (pct < floor) fail(`plugin/ lines ${pct}% (${covered}/${total}) is below the ${floor}% floor`)
console.log(`coverage floor: plugin/ lines ${pct}% (${covered}/${total}), floor ${floor}%`)
