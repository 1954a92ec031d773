/**
 * Writes grouped on a database whose connections run side by side (MySQL/MariaDB;
 * docs/design.md §9, "What one message costs"): what arrives in one turn of the event loop,
 * or while the groups before it run, goes together, so a group's statements and round trips
 * are shared by all its items. Items with the same key (a chat's messages) run in the order
 * they came: an item waits while an earlier one of its key is queued or in a running group,
 * so two running groups never hold the same key, and up to `concurrency` groups run at once,
 * each on a connection of its own. On a quiet system every item runs at once, alone.
 */

/** What became of one item of a group: its value, its error, or `again`: it goes in a later group. */
export type Outcome<O> = { ok: true, value: O } | { ok: false, error: unknown } | { again: true }

export interface Lanes<I, O> {
  /** Queues `item`; settles once the group it went in has run (committed). */
  add: (item: I) => Promise<O>
}

export interface LaneOptions<I> {
  /** At most this many groups run at once. */
  concurrency: number
  /** Items of one key run in the order they were added, never in two groups at once. */
  keyOf: (item: I) => string | number
  /** At most this many items a group; the rest wait for the next. */
  max: number
}

interface Queued<I> { item: I, key: string | number, resolve: (value: unknown) => void, reject: (err: unknown) => void }

/**
 * Groups of items by key. `run` gets a group's items in arrival order and answers an
 * outcome for each, in the same order; when it throws, every item of the group gets that
 * error. An item answered `again` goes back to the head of the queue, before anything of
 * its key queued since.
 */
export function lanes<I, O> (options: LaneOptions<I>, run: (items: I[]) => Promise<Array<Outcome<O>>>): Lanes<I, O> {
  let queue: Array<Queued<I>> = []
  /** Keys in a running group. */
  const busy = new Set<string | number>()
  let running = 0
  let scheduled = false

  /** Starts groups while there is room: each takes, in order, the items whose key is free. */
  function start (): void {
    while (running < options.concurrency && queue.length > 0) {
      const group: Array<Queued<I>> = []
      const rest: Array<Queued<I>> = []
      // A key with an item left behind keeps its later items behind too: a key's order holds.
      const held = new Set<string | number>()
      for (const q of queue) {
        if (group.length < options.max && !busy.has(q.key) && !held.has(q.key)) group.push(q)
        else { rest.push(q); held.add(q.key) }
      }
      if (group.length === 0) return
      queue = rest
      running++
      for (const q of group) busy.add(q.key)
      void runGroup(group)
    }
  }

  async function runGroup (group: Array<Queued<I>>): Promise<void> {
    let outcomes: Array<Outcome<O>>
    try {
      outcomes = await run(group.map((q) => q.item))
    } catch (err) {
      outcomes = group.map(() => ({ ok: false, error: err }))
    }
    const again: Array<Queued<I>> = []
    group.forEach((q, i) => {
      const o = outcomes[i] ?? { ok: false, error: new Error('a grouped write answered no outcome') }
      if ('again' in o) again.push(q)
      else if (o.ok) q.resolve(o.value)
      else q.reject(o.error)
    })
    queue = [...again, ...queue]
    running--
    for (const q of group) busy.delete(q.key)
    start()
  }

  return {
    add (item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, key: options.keyOf(item), resolve: resolve as (value: unknown) => void, reject })
        if (scheduled) return
        scheduled = true
        // After the I/O of this turn of the loop: every frame read in it can join the group.
        setImmediate(() => { scheduled = false; start() })
      })
    }
  }
}
