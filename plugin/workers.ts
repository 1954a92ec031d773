/**
 * Runs `work` on every item with at most `limit` under way at once, each worker taking the
 * next item when it is done (a slow item holds one worker, not the rest); in order within a
 * worker. Items are taken from `items` as they go, so the array is empty when this resolves.
 */
export async function inParallel<T> (items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const worker = async (): Promise<void> => {
    for (let next = items.shift(); next !== undefined; next = items.shift()) await work(next)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
