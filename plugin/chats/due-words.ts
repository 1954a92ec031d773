import type { WriteGroups } from '../db/grouped.ts'
import type { GroupedMessageStore } from './grouped-store.ts'

/**
 * The words of messages written by grouped writes on SQLite, written a moment after the
 * messages themselves (docs/design.md §9, "What one message costs"). A message's
 * transaction marks its id due (lc_message_words_due); the words of every message marked
 * since go in together, sorted in the index's order, as one more job of the write groups:
 * each page of the index is written once for them all rather than once per group. A search
 * asks for them first (`written`), so it finds every message stored; what a stop or a crash
 * left due is written by the first flush after the next start.
 */
export interface DueWords {
  /** A message was marked due: its words go within `delayMs`, or sooner when `batch` are due. */
  marked: () => void
  /** Writes every word due now; settles once they are committed. */
  written: () => Promise<void>
  /** No more timed flushes (the plugin is closing); what is due stays marked. */
  stop: () => void
}

export interface DueWordsOptions {
  groups: WriteGroups
  grouped: GroupedMessageStore
  /** How long a message's words may wait (default 250 ms). */
  delayMs?: number
  /**
   * The most messages' words one job writes (default 1,000). About 20 µs a message: at 500
   * messages a second the timer comes first, with some 125 (3 ms); a thousand are due within
   * the delay only at four times that rate, where sharing more pages matters more than the
   * 15 to 20 ms such a job takes (250 at a time: 0.45 of the floor where 1,000 gave 0.51).
   */
  batch?: number
  /** Told when a timed flush failed; its messages stay due for the next. */
  onError?: (err: unknown) => void
}

export function dueWords ({ groups, grouped, delayMs = 250, batch = 1000, onError = () => {} }: DueWordsOptions): DueWords {
  // Unknown after a start: a stop or a crash may have left messages due.
  let due = Infinity
  let timer: ReturnType<typeof setTimeout> | undefined
  let soon = false
  let stopped = false
  // The flush under way: a search that comes meanwhile waits for it as well.
  let running: Promise<void> = Promise.resolve()

  function flush (): Promise<void> {
    clearTimeout(timer)
    timer = undefined
    soon = false
    due = 0
    const flushing = running.then(async () => {
      // Counted per job: messages marked meanwhile went in, or have their own timer.
      while (await groups.run((db) => grouped.indexDue(db, batch)) === batch) { /* more are due */ }
    })
    running = flushing.catch(() => { due = Infinity })
    return flushing
  }

  function timed (): void {
    if (!stopped) flush().catch(onError)
  }

  return {
    marked () {
      due++
      if (stopped || soon) return
      if (due >= batch) {
        soon = true
        clearTimeout(timer)
        timer = undefined
        setImmediate(timed)
      } else {
        timer ??= setTimeout(timed, delayMs).unref()
      }
    },
    async written () {
      await running
      if (due !== 0) await flush()
    },
    stop () {
      stopped = true
      clearTimeout(timer)
      timer = undefined
    }
  }
}
