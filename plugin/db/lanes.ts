/**
 * Writes grouped on a database whose connections run side by side (MySQL/MariaDB;
 * docs/design.md §9, "What one message costs"): items that arrive while a lane is busy wait
 * and then go together, so a group's statements and round trips are shared by all of them.
 * An item always goes to the same lane (`laneOf`), and a lane runs one group at a time, in
 * arrival order, so what must stay in order (a chat's messages) stays in order while
 * other lanes run beside it on other connections.
 */

/** What became of one item of a group: its value, its error, or `again`: it goes in the lane's next group. */
export type Outcome<O> = { ok: true, value: O } | { ok: false, error: unknown } | { again: true }

export interface Lanes<I, O> {
  /** Queues `item` on its lane; settles once the group it went in has run (committed). */
  add: (item: I) => Promise<O>
}

export interface LaneOptions<I> {
  /** How many lanes: at most this many groups run at once, each on a connection of its own. */
  count: number
  /** The lane an item belongs to (taken modulo `count`): items that must stay in order share one. */
  laneOf: (item: I) => number
  /** At most this many items a group; the rest wait for the next. */
  max: number
}

interface Queued<I> { item: I, resolve: (value: unknown) => void, reject: (err: unknown) => void }

/**
 * Lanes of groups. `run` gets a group's items in arrival order and answers an outcome for
 * each, in the same order; when it throws, every item of the group gets that error. An
 * item answered `again` goes back to the head of its lane, before anything queued since.
 */
export function lanes<I, O> (options: LaneOptions<I>, run: (items: I[]) => Promise<Array<Outcome<O>>>): Lanes<I, O> {
  const queues: Array<Array<Queued<I>>> = Array.from({ length: options.count }, () => [])
  const busy: boolean[] = Array.from({ length: options.count }, () => false)

  async function drain (lane: number): Promise<void> {
    const queue = queues[lane]!
    try {
      while (queue.length > 0) {
        const group = queue.splice(0, options.max)
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
        queue.unshift(...again)
      }
    } finally {
      // In the same step as the last check of the queue: an item queued after it starts a new drain.
      busy[lane] = false
    }
  }

  return {
    add (item) {
      const lane = Math.abs(Math.trunc(options.laneOf(item))) % options.count
      return new Promise<O>((resolve, reject) => {
        queues[lane]!.push({ item, resolve: resolve as (value: unknown) => void, reject })
        if (busy[lane]) return
        busy[lane] = true
        // After the I/O of this turn of the loop: every frame read in it can join the group.
        setImmediate(() => { void drain(lane) })
      })
    }
  }
}
