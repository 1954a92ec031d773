import {
  isCoded, LC_ERR_IM_ALREADY_DELETED, LC_ERR_IM_DELETE_ACTIVE, LC_ERR_IM_DELETE_NOT_YOURS, LC_ERR_IM_NOT_DELETED
} from '../errors.ts'
import type { ImCommon } from './common.ts'
import type { ImOutcome, ImService } from './service.ts'
import * as store from './store.ts'
import { titleOf } from './summaries.ts'
import type { ImViewer } from './types.ts'

/**
 * Deleted Items: a thread is deleted (and undeleted) by the conditional UPDATE that checks
 * the state the rule needs, so a thread someone wrote in meanwhile is not deleted; the purge
 * job removes deleted threads for good later (docs/features.md#purge, docs/design.md §7).
 */
export function createDeletion (c: ImCommon): Pick<ImService, 'deleteThreads' | 'undeleteThreads'> {
  const { db, clock, load, mine, notFound, publish } = c

  /** A delete or undelete of one thread, by the rule: inactive only, by a participant or a supervisor with livechat.delete. */
  async function changeDeletion (viewer: ImViewer, id: number, op: 'delete' | 'undelete'): Promise<ImOutcome> {
    try {
      const rec = await load(id)
      const own = await mine(id, viewer.id)
      if (rec.kind !== 'thread' || (!own && !viewer.supervise)) throw notFound(id)
      const title = titleOf(rec, await c.people(id), viewer.id)
      if (!own && !viewer.delete) throw new LC_ERR_IM_DELETE_NOT_YOURS(title, op)
      const at = clock()
      if (op === 'delete') {
        if (rec.deletedAt !== null) throw new LC_ERR_IM_ALREADY_DELETED(title, rec.deletedByName ?? 'someone')
        if (rec.status !== 'inactive') throw new LC_ERR_IM_DELETE_ACTIVE(title)
        const n = await store.updateConversation(db, id, { deleted_at: at, deleted_by: viewer.id, deleted_by_name: viewer.name, updated_at: at }, { status: 'inactive', deleted: false })
        if (n === 0) {
          // Someone got there first: deleted it, or wrote in it (it is active again).
          const now = await load(id)
          if (now.deletedAt !== null) throw new LC_ERR_IM_ALREADY_DELETED(title, now.deletedByName ?? 'someone')
          throw new LC_ERR_IM_DELETE_ACTIVE(title)
        }
      } else {
        if (rec.deletedAt === null) throw new LC_ERR_IM_NOT_DELETED(title)
        const n = await store.updateConversation(db, id, { deleted_at: null, deleted_by: null, deleted_by_name: null, updated_at: at }, { deleted: true })
        if (n === 0) throw new LC_ERR_IM_NOT_DELETED(title)
      }
      await publish(id, 'thread', [], true, viewer.id, [viewer.id])
      return { id, ok: true }
    } catch (err) {
      // A refusal belongs to its thread's outcome, so the others of the selection still go ahead.
      if (isCoded(err) && (err.statusCode ?? 500) < 500) return { id, ok: false, error: err }
      throw err
    }
  }

  /** Each id once, in the order given, one after the other. */
  async function each (viewer: ImViewer, ids: number[], op: 'delete' | 'undelete'): Promise<ImOutcome[]> {
    const out: ImOutcome[] = []
    for (const id of [...new Set(ids)]) out.push(await changeDeletion(viewer, id, op))
    return out
  }

  return {
    async deleteThreads (viewer, ids) { return await each(viewer, ids, 'delete') },
    async undeleteThreads (viewer, ids) { return await each(viewer, ids, 'undelete') }
  }
}
