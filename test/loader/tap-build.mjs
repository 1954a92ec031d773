// Rebuilds tap when .taprc's plugin list is not the one tap was built with, as after a
// fresh npm install (tap ships built with its TypeScript plugin, which .taprc turns off).
// tap notices that itself, but rebuilds only for later runs: the run that notices still
// starts every test file with the old plugins' loaders. Run before npm test (pretest).
// @tapjs/config and @tapjs/test are tap's own parts, installed with it.
import { spawnSync } from 'node:child_process'
import { TapConfig } from '@tapjs/config'
import { signature } from '@tapjs/test'

const config = await TapConfig.load()
if (config.pluginSignature !== signature) {
  console.log('tap was built with other plugins than .taprc names: rebuilding it')
  const { status } = spawnSync('tap', ['build'], { stdio: 'inherit' })
  process.exit(status ?? 1)
}
