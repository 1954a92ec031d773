import type { ItemGuard } from './service.ts'

/**
 * The due items of one purge batch (docs/features.md#failing-items): the items still waiting
 * out their backoff are left for a later run.
 */
export async function dueItems (ids: number[], items?: ItemGuard): Promise<number[]> {
  const due: number[] = []
  for (const id of ids) if (!items || await items.due(id)) due.push(id)
  return due
}

/**
 * Removes `ids` in one transaction; when the database refuses it (one bad item rolls the whole
 * batch back), each goes alone, so the others are removed and only the bad one is recorded
 * through `items` and left whole. Without a guard a refused batch throws, as before. An item
 * removed, or gone since the scan, is no longer the job's to retry.
 */
export async function wholeOrOneByOne (ids: number[], remove: (ids: number[]) => Promise<void>, items?: ItemGuard): Promise<void> {
  if (ids.length === 0) return
  try {
    await remove(ids)
  } catch (err) {
    if (!items) throw err
    if (ids.length === 1) {
      await items.failed(ids[0]!, err)
      return
    }
    for (const id of ids) {
      try {
        await remove([id])
      } catch (err) {
        await items.failed(id, err)
        continue
      }
      await items.done(id)
    }
    return
  }
  for (const id of ids) await items?.done(id)
}
