/**
 * Shares one read of a value among everyone who asks while it is under way, and for
 * `ttlMs` after (0: only while under way). Panes drawn together ask for the same
 * definitions (the manual events of their Actions menus) all at once: they share one query.
 * The instance's own changes clear it.
 */
export function shortCache<T> (load: () => Promise<T>, ttlMs: number, clock: () => number = Date.now) {
  let held: { at: number, value: Promise<T>, settled: boolean } | undefined
  return {
    get (): Promise<T> {
      if (held && (!held.settled || clock() - held.at < ttlMs)) return held.value
      const entry = { at: clock(), value: load(), settled: false }
      held = entry
      entry.value.then(() => { entry.settled = true; entry.at = clock() }, () => { if (held === entry) held = undefined })
      return entry.value
    },
    clear (): void { held = undefined }
  }
}
