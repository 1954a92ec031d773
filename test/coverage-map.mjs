// Coverage is measured on plugin/ only: the demo host and the tests themselves are not the
// product. Every test file may cover any plugin file (integration tests are the point).
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

function tsFiles (dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [])
}

const pluginFiles = tsFiles('plugin')

export default () => pluginFiles
