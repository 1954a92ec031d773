import { performance } from 'node:perf_hooks'
import { setImmediate as yieldToOthers, setTimeout as sleep } from 'node:timers/promises'
import type { ChatService, ItemGuard } from '../chats/service.ts'
import type { Dialect } from '../db/index.ts'
import type { Discarded, FileService } from '../files/service.ts'
import type { JobContext, JobOutcome } from './scheduler.ts'

export interface PurgeDeps {
  /** The chat service removes each batch of chats with their rows, then their words; this job paces the batches. */
  chats: Pick<ChatService, 'purgeDeleted' | 'pendingWordChats' | 'wordPairs' | 'purgeWords'>
  /** Removes file contents from the upload directory (plugin/files). */
  files: Pick<FileService, 'discard'>
  clock: () => number
  /** Deleted chats are removed this many days after deletion (setting purgeAfterDays). */
  afterDays: number
  /** Chats per transaction at most (setting purgeBatchSize). */
  batchSize: number
  /**
   * How long one batch's transaction should take, in ms (default 10; the job passes
   * `purgePace` of its database): batches shrink or grow towards it (up to batchSize),
   * whatever the chats hold. On SQLite a live chat's statement that arrives during a batch
   * waits for all of it (one connection, one writer).
   */
  targetMs?: number
  /**
   * After each batch the purge rests at least this many times as long as the batch took
   * (default 1: it has the database half the time at most; the job passes `purgePace`), so live chats' statements are not
   * kept waiting behind batch after batch; up to 8 times longer while the `probe` finds live
   * statements slowed (Pacing.probe, liveStep).
   */
  restRatio?: number
  /** True while the database's connection pool has statements waiting: the next batch waits (Pacing.busy). */
  busy?: () => boolean
  /** Times a tiny statement through the pool: the live load the rests follow (Pacing.probe). */
  probe?: () => Promise<number>
  /**
   * The words phase takes this many purged chats at a time (default 400): the more chats, the
   * more of their rows of a word share a page (bench:purge on SQLite, 5,000 chats, one run
   * each: 100 took a third longer a row than 400, and 1,000 no less).
   */
  wordGroup?: number
}

/** What one purge run removed, for the run record and the benchmark. */
export interface PurgeResult extends JobOutcome {
  chats: number
  batches: number
  /** Transactions of the words phase that removed word rows (byTable.lc_message_words counts the rows). */
  wordBatches: number
  byTable: Record<string, number>
  files: Discarded
}

export const dayMs = 86_400_000

/**
 * How a purge paces itself unless told (PurgeDeps.targetMs and restRatio). On SQLite every
 * statement runs on the event loop, so a live message that arrives during a batch waits for
 * all of it, and the purge's share of the loop is a share taken from every live chat: 2 ms
 * batches, and a rest of eight times each (1,000,000 messages in 25,000 chats on the test
 * machine: 52 chats/s, where a desk needs 28; 100,000 chats in 32 minutes). On MySQL/MariaDB a
 * batch holds only the rows it removes and live chats go on beside it: 10 ms batches, a rest
 * as long as each.
 */
export function purgePace (dialect: Dialect): { targetMs: number, restRatio: number } {
  return dialect === 'sqlite' ? { targetMs: 2, restRatio: 8 } : { targetMs: 10, restRatio: 1 }
}

/**
 * The words phase reads a group's (word, chat) pairs a few chats a statement, letting other
 * work run between: a hundred chats' 40,000 index entries in one read held SQLite's one
 * connection, and the event loop with it, for 40 to 90 ms. A chat of 40 messages takes well
 * under a millisecond, so a read takes as many chats as the batch's target has milliseconds.
 */
function chatsPerPairRead (targetMs: number): number {
  return Math.max(1, Math.round(targetMs))
}

/** (word, chat) pairs per transaction of the words phase at most, however quick they are (a bound on the statement's size). */
const maxPairsPerBatch = 5000

/** How a purge paces its batches (PurgeDeps: batchSize, targetMs, restRatio, busy, probe). */
export interface Pacing {
  batchSize: number
  targetMs: number
  /** The shortest rest after a batch, times the batch; the live load lengthens it (`liveStep`). */
  restRatio: number
  /**
   * True while live statements are waiting for one of the database connections (the pool is
   * busy): the next batch waits until they have theirs.
   */
  busy?: () => boolean
  /**
   * How long a tiny statement takes right now through the database's pool, in ms: behind the
   * statements already waiting for a connection, at the server's present speed; what a live
   * chat's next statement meets. The rests and the start of each batch follow it (`liveStep`).
   */
  probe?: () => Promise<number>
}

/** While the pool is busy, the next batch looks again after this many ms, for at most `busyWaitMs` in all. */
const busyPollMs = 2
const busyWaitMs = 20

/** What the pacing decides after one batch: the next batch's size and the rest before it (restFactor times restRatio times the batch). */
export interface PaceStep { size: number, restMs: number, restFactor?: number }

/**
 * One step of the purge's pacing (docs/design.md §7): a batch that took longer than
 * `targetMs` makes the next one smaller in proportion, one that took under half of it makes
 * the next twice as big (up to `batchSize`), and the rest is `restRatio` times what the batch
 * took, so a database slowed by live work gets longer rests as well as smaller batches.
 */
export function paceStep (pacing: Pacing, size: number, took: number): PaceStep {
  const { batchSize, targetMs, restRatio } = pacing
  let next = size
  if (took > targetMs * 1.5 && size > 1) next = Math.max(1, Math.floor(size * targetMs / took))
  else if (took < targetMs / 2 && size < batchSize) next = Math.min(batchSize, size * 2)
  return { size: next, restMs: took * restRatio }
}

/** The probes a purge compares each new one with: its last this many. */
const probeWindow = 32
/** The rest grows to at most this many times restRatio while live statements stay slow. */
const maxRestFactor = 8
/** Before a batch, while the probe finds live statements slow, the purge waits for them at most this long. */
const probeWaitMs = 50

/** What the purge knows of the live load: its recent probes and how far it has lengthened its rests. */
export interface LiveLoad { recent: number[], restFactor: number }

/**
 * One probe, weighed (docs/design.md §7): it is slow when it took over twice the lower quartile
 * of the recent ones, plus a millisecond (the database's unhurried answer beside this same
 * live load, so a machine busy for other reasons does not count against the purge). A slow
 * probe before a batch means the last rest did not give live statements back their speed:
 * the rests double (up to 8 times restRatio); a quick one halves them back towards restRatio.
 */
export function liveStep (load: LiveLoad, probeMs: number): { slow: boolean, load: LiveLoad } {
  const recent = [...load.recent, probeMs].slice(-probeWindow)
  const slow = slowProbe(recent, probeMs)
  const restFactor = slow ? Math.min(maxRestFactor, load.restFactor * 2) : Math.max(1, load.restFactor / 2)
  return { slow, load: { recent, restFactor } }
}

function slowProbe (recent: number[], probeMs: number): boolean {
  const sorted = [...recent].sort((a, b) => a - b)
  return probeMs > 2 * (sorted[Math.floor((sorted.length - 1) / 4)] ?? probeMs) + 1
}

/**
 * What a batch did: removed something (true), found nothing left (false), or only read
 * what the next batches remove ('read': the words phase's next group), which is neither
 * counted nor paced as a batch; its reads let other work run between them.
 */
export type BatchDone = boolean | 'read'

/**
 * Runs `batch` until it finds nothing left to remove (it returns false) or the job's lease
 * is lost, paced by `paceStep`. Before each batch, while live statements wait for a
 * connection (`busy`) it lets them have it first (up to 20 ms), and while the `probe` finds
 * them slower than the live load's own pace (`liveStep`) it waits for them (up to 50 ms) and
 * rests longer after the batch; so a desk that is never idle still gets purged. `observe`
 * sees each step (the tests). Returns how many batches removed something.
 */
export async function inPacedBatches (ctx: JobContext | undefined, pacing: Pacing, batch: (size: number) => Promise<BatchDone>, observe?: (step: PaceStep) => void): Promise<number> {
  let batches = 0
  // The first batch is one chat, and the pacing grows it from there: a first batch of
  // batchSize chats could hold the database for seconds before anything had been measured.
  let size = 1
  let load: LiveLoad = { recent: [], restFactor: 1 }
  const probe = pacing.probe
  for (;;) {
    if (ctx && !await ctx.stillOurs()) break
    for (let waited = 0; waited < busyWaitMs && (pacing.busy?.() ?? false); waited += busyPollMs) await sleep(busyPollMs)
    if (probe) {
      let probeMs = await probe()
      const looked = liveStep(load, probeMs)
      load = looked.load
      // Only the first look after a rest weighs the rest; the looks while waiting are not kept.
      for (let waited = 0, slow = looked.slow; slow && waited < probeWaitMs; slow = slowProbe(load.recent, probeMs)) {
        const pause = Math.max(busyPollMs, Math.min(probeWaitMs - waited, probeMs))
        await sleep(pause)
        waited += pause
        probeMs = await probe()
      }
    }
    const started = performance.now()
    const done = await batch(size)
    if (done === false) break
    if (done === 'read') continue
    batches++
    const took = performance.now() - started
    const step = { ...paceStep({ ...pacing, restRatio: pacing.restRatio * load.restFactor }, size, took), restFactor: load.restFactor }
    observe?.(step)
    size = step.size
    if (step.restMs >= 1) await sleep(step.restMs)
    else await yieldToOthers()
  }
  return batches
}

/**
 * The purge's words phase (docs/design.md §7): the word rows of chats the batches removed,
 * a group of neighbouring chats at a time, word by word in the index's order (the batch's
 * size counts (word, chat) pairs), so one page of a word's rows serves every chat of the
 * group instead of each chat reading its own page of every word it holds. Paced as the chat batches; a run stopped midway leaves the
 * chats listed, and the next run reads what is left of their words and goes on.
 */
async function nextWordGroup (chats: PurgeDeps['chats'], limit: number, perRead: number): Promise<WordGroup | null> {
  const chatIds = await chats.pendingWordChats(limit)
  if (chatIds.length === 0) return null
  const runs: Pair[][] = []
  for (let i = 0; i < chatIds.length; i += perRead) {
    runs.push((await chats.wordPairs(chatIds.slice(i, i + perRead))).sort(comparePairs))
    await yieldToOthers()
  }
  return { chatIds, pairs: mergedPairs(runs) }
}

type Pair = [word: string, chatId: number]
interface WordGroup { chatIds: number[], pairs: ReturnType<typeof mergedPairs> }

// The primary key's order, so neighbouring pairs share pages. JavaScript compares UTF-16 units where the databases
// compare bytes: the orders differ only between characters past U+FFFF and U+E000-U+FFFF, which costs locality, not rows.
function comparePairs (a: Pair, b: Pair): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]
}

/**
 * A group's pairs in the primary key's order, a batch at a time: each read's pairs come
 * sorted, and `take` merges the reads' heads through a binary heap, so the cost of the order
 * is spread over the batches. Sorting a hundred chats' 40,000 pairs at once held the event
 * loop for 10 ms, once a group, long enough to be the slowest live messages of a purge.
 */
function mergedPairs (runs: Pair[][]) {
  const heap = runs.filter((run) => run.length > 0).map((run) => ({ run, at: 0 }))
  let remaining = heap.reduce((n, h) => n + h.run.length, 0)
  const before = (i: number, j: number): boolean => comparePairs(heap[i]!.run[heap[i]!.at]!, heap[j]!.run[heap[j]!.at]!) < 0
  function down (i: number): void {
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let least = i
      if (l < heap.length && before(l, least)) least = l
      if (r < heap.length && before(r, least)) least = r
      if (least === i) return
      ;[heap[i], heap[least]] = [heap[least]!, heap[i]!]
      i = least
    }
  }
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i)
  return {
    get remaining (): number { return remaining },
    take (n: number): Pair[] {
      const out: Pair[] = []
      while (out.length < n && heap.length > 0) {
        const top = heap[0]!
        out.push(top.run[top.at++]!)
        if (top.at === top.run.length) {
          heap[0] = heap[heap.length - 1]!
          heap.pop()
        }
        if (heap.length > 0) down(0)
      }
      remaining -= out.length
      return out
    }
  }
}

async function purgeWordsPaced (chats: PurgeDeps['chats'], ctx: JobContext | undefined, pacing: Pacing, wordGroup: number): Promise<{ rows: number, batches: number }> {
  let group: WordGroup | null = null
  let rows = 0
  const batches = await inPacedBatches(ctx, pacing, async (size) => {
    // A group's reads are not a batch: timed as one, a hundred chats' reads (10 ms and more
    // with the live work between them) cut the next batches to a sliver and rested eight times as long.
    if (group === null) {
      group = await nextWordGroup(chats, wordGroup, chatsPerPairRead(pacing.targetMs))
      return group === null ? false : 'read'
    }
    const pairs = group.pairs.take(size)
    const last = group.pairs.remaining === 0
    rows += await chats.purgeWords(group.chatIds, pairs, last)
    if (last) group = null
    return true
  })
  return { rows, batches }
}

/**
 * The purge job (docs/features.md#purge, docs/design.md §7): chats deleted more than
 * `afterDays` ago go for good, with every row of theirs and their files on disk. Batch after
 * batch, each its own short transaction (chats.purgeDeleted), resting between batches so
 * live chats' statements get their turn; files are removed only after their rows'
 * transaction committed (a rollback must not leave rows without content). Each batch starts
 * after the last chat the one before it met, so a chat the run could not remove (recorded
 * through `items`, docs/features.md#failing-items) never stands in front of the rest. The
 * chats' word rows go after the batches, in the words phase (`purgeWordsPaced`), under the same lease.
 */
export function createPurge ({ chats: chatService, files, clock, afterDays, batchSize, targetMs = 10, restRatio = 1, busy, probe, wordGroup = 400 }: PurgeDeps) {
  return async function purge (ctx?: JobContext, items?: ItemGuard): Promise<PurgeResult> {
    const deletedBefore = clock() - afterDays * dayMs
    const byTable: Record<string, number> = {}
    const discarded: Discarded = { removed: 0, missing: 0, failed: [] }
    let chats = 0
    let after = 0
    const batches = await inPacedBatches(ctx, { batchSize, targetMs, restRatio, busy, probe }, async (size) => {
      const batch = await chatService.purgeDeleted(deletedBefore, size, after, items)
      if (batch === null) return false
      after = batch.last
      chats += batch.chats
      for (const [table, n] of Object.entries(batch.rows)) byTable[table] = (byTable[table] ?? 0) + n
      if (batch.storageNames.length > 0) {
        const d = await files.discard(batch.storageNames)
        discarded.removed += d.removed
        discarded.missing += d.missing
        discarded.failed.push(...d.failed)
      }
      return true
    })
    const words = await purgeWordsPaced(chatService, ctx, { batchSize: maxPairsPerBatch, targetMs, restRatio, busy, probe }, wordGroup)
    if (words.rows > 0) byTable.lc_message_words = words.rows
    const rows = Object.values(byTable).reduce((a, b) => a + b, 0)
    const summary = chats === 0
      ? `No deleted chats older than ${afterDays} days${words.rows > 0 ? `; ${words.rows} word rows of chats purged before removed` : ''}`
      : `Purged ${chats} chat${chats === 1 ? '' : 's'} deleted more than ${afterDays} days ago in ${batches} batch${batches === 1 ? '' : 'es'}: ${byTable.lc_messages ?? 0} messages, ${rows} rows in all, ${discarded.removed} file${discarded.removed === 1 ? '' : 's'} removed${discarded.missing > 0 ? ` (${discarded.missing} already gone)` : ''}`
    const error = discarded.failed.length > 0
      ? `${discarded.failed.length} file${discarded.failed.length === 1 ? '' : 's'} could not be removed from the upload directory: ${discarded.failed.slice(0, 5).join('; ')}`
      : undefined
    return { rows, summary, error, chats, batches, wordBatches: words.batches, byTable, files: discarded }
  }
}
