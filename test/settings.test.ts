import { readFileSync } from 'node:fs'
import t from 'tap'
import { loadManifest } from '../plugin/manifest.ts'
import { liveSettings, permissionIds, type Permission, resolveSettings, settingGroups, type Settings, settingsSchema } from '../plugin/settings.ts'
import { manifestFile, withSettingsSchema } from '../scripts/manifest.ts'

// Compile-time: the derived type is as precise as a hand-written one would be.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
const precise: [
  Equal<Settings['rolePermissions'], Record<string, Permission[]>>,
  Equal<Settings['maxMessageLength'], number>,
  Equal<Settings['allowedFileTypes'], string[]>,
  Equal<Settings['jobSchedules'], Record<string, string>>,
  Equal<Permission, 'livechat.agent' | 'livechat.transfer' | 'livechat.supervise' | 'livechat.delete' | 'livechat.admin' | 'livechat.rooms'>
] = [true, true, true, true, true]

t.test('settings', async (t) => {
  const manifest = loadManifest()

  t.test('manifest.json\'s settingsSchema is the one written from plugin/settings.ts', async (t) => {
    t.same(manifest.settingsSchema, settingsSchema, 'manifest.json\'s settingsSchema differs from plugin/settings.ts: run npm run manifest')
    const text = readFileSync(manifestFile, 'utf8')
    t.ok(withSettingsSchema(text) === text, 'manifest.json\'s settingsSchema is not laid out as npm run manifest writes it: run npm run manifest')
  })

  t.test('the settings grant exactly the permissions the manifest declares', async (t) => {
    t.same(manifest.permissions.map((p) => p.id), permissionIds)
  })

  t.test('every setting has a default, so resolved settings have every key the type promises', async (t) => {
    const resolved = resolveSettings(manifest, {})
    for (const [name, property] of Object.entries(settingsSchema.properties)) {
      t.ok('default' in property, `${name} has a default`)
      t.same(resolved[name as keyof Settings], property.default, `${name} resolves to its default`)
    }
    t.same(Object.keys(resolved).sort(), Object.keys(settingsSchema.properties).sort())
    t.same(precise, [true, true, true, true, true])
  })

  t.test('the settings screen shows every setting once, with a title, in the manifest\'s groups', async (t) => {
    const grouped = settingGroups(manifest.settingsSchema).flatMap((g) => g.settings)
    t.same([...grouped].sort(), Object.keys(settingsSchema.properties).sort(), 'every setting is in exactly one group of x-groups')
    t.equal(new Set(grouped).size, grouped.length)
    for (const [name, property] of Object.entries(settingsSchema.properties)) t.ok('title' in property && property.title.length > 0, `${name} has a title`)
  })

  t.test('live settings change in place and tell their listeners what changed', async (t) => {
    const live = liveSettings(resolveSettings(manifest, {}))
    const held = live.settings
    const heard: string[][] = []
    const stop = live.onChange((names) => { heard.push([...names]) })
    const next = resolveSettings(manifest, { maxMessageLength: 500, allowedOrigins: ['https://a.example'] })
    t.same(live.apply(next).sort(), ['allowedOrigins', 'maxMessageLength'])
    t.equal(held.maxMessageLength, 500, 'whoever holds the object reads the new value')
    next.allowedOrigins.push('https://b.example')
    t.same(held.allowedOrigins, ['https://a.example'], 'the caller\'s value is copied, not shared')
    t.same(live.apply(next), ['allowedOrigins'])
    stop()
    live.apply(resolveSettings(manifest, {}))
    t.same(heard, [['maxMessageLength', 'allowedOrigins'], ['allowedOrigins']], 'nothing is heard after stop')
  })

  t.test('npm run manifest rewrites the settingsSchema key only, leaving the rest of the file as it was', async (t) => {
    const text = '{\n  "id": "x",\n  "settingsSchema": { "type": "object", "properties": { "a": { "note": "}\\"]" } } },\n  "host": { "kinds": ["a", "b"] }\n}\n'
    const written = withSettingsSchema(text)
    t.ok(written.startsWith('{\n  "id": "x",\n  "settingsSchema": {\n    "type": "object",\n'))
    t.ok(written.endsWith('\n  },\n  "host": { "kinds": ["a", "b"] }\n}\n'))
    t.same(JSON.parse(written).settingsSchema, settingsSchema)
    t.equal(withSettingsSchema(written), written, 'writing twice changes nothing')
    t.throws(() => withSettingsSchema('{ "host": { "settingsSchema": {} } }'), /no top-level "settingsSchema"/)
  })
})
