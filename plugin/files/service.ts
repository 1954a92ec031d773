import { createHash, randomBytes } from 'node:crypto'
import type { Settings } from '../settings.ts'
import { createWriteStream } from 'node:fs'
import { mkdir, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'
import type { ChatService } from '../chats/service.ts'
import { type Actor, type Chat, ChatStatus, type FileRef, type Message } from '../chats/types.ts'
import {
  LC_ERR_CHAT_CLOSED, LC_ERR_CHAT_NOT_FOUND, LC_ERR_CHAT_STATE_CONFLICT, LC_ERR_FILE_EMPTY, LC_ERR_FILE_NOT_FOUND,
  LC_ERR_FILE_MISMATCH, LC_ERR_FILE_TOO_LARGE, LC_ERR_FILE_TYPE
} from '../errors.ts'
import { imageDimensions } from './dimensions.ts'
import * as store from './store.ts'
import type { ChatFile } from './store.ts'

export interface FileServiceDeps {
  db: Knex
  chats: Pick<ChatService, 'postFile'>
  /** The plugin's route prefix: the download link travels inside the message. */
  base: string
  /** Where file contents live; created when missing. Never served statically. */
  dir: string
  settings: Pick<Settings, 'maxFileBytes' | 'allowedFileTypes'>
  clock?: () => number
}

/** What the route hands over of one uploaded file part. */
export interface Upload {
  /** The name the sender's computer gave it: shown, never used as a path. */
  name: string
  stream: Readable
  /** True when the stream stopped at maxFileBytes (the rest was discarded). */
  truncated: () => boolean
  /** The request's Content-Length, to say how big a refused file was. */
  sentBytes?: number
}

/** Names people know the allowed types by, and the extensions a download of each ends in. */
const known: Record<string, { label: string, ext: string[] }> = {
  'image/png': { label: 'PNG', ext: ['png'] },
  'image/jpeg': { label: 'JPEG', ext: ['jpg', 'jpeg'] },
  'image/gif': { label: 'GIF', ext: ['gif'] },
  'image/webp': { label: 'WebP', ext: ['webp'] },
  'application/pdf': { label: 'PDF', ext: ['pdf'] },
  'text/plain': { label: 'plain text', ext: ['txt', 'log', 'csv', 'md'] },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { label: 'Word (.docx)', ext: ['docx'] },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { label: 'Excel (.xlsx)', ext: ['xlsx'] },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': { label: 'PowerPoint (.pptx)', ext: ['pptx'] },
  'application/vnd.oasis.opendocument.text': { label: 'OpenDocument text (.odt)', ext: ['odt'] },
  'application/vnd.oasis.opendocument.spreadsheet': { label: 'OpenDocument spreadsheet (.ods)', ext: ['ods'] },
  'application/vnd.oasis.opendocument.presentation': { label: 'OpenDocument presentation (.odp)', ext: ['odp'] }
}

/** Raster images, the only files a browser is let to show inline (never SVG: it can carry script). */
export const imageTypes: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp'])

/**
 * The largest image the transcript loads as a thumbnail. Thumbnails are the original scaled
 * down by the browser (no image library is bundled to make small copies), so a bigger photo
 * is offered as View image instead, loaded only when opened: a customer on a phone does not
 * pay for every picture in the chat.
 */
export const thumbnailMaxBytes = 2 * 1024 * 1024

/** "10 MB", "14.2 MB", "512 KB", "68 bytes": binary units, as file managers show them. */
export function formatBytes (n: number): string {
  if (n < 1024) return `${n} ${n === 1 ? 'byte' : 'bytes'}`
  const [value, unit] = n < 1024 * 1024 ? [n / 1024, 'KB'] : [n / (1024 * 1024), 'MB']
  return `${Number(value.toFixed(1))} ${unit}`
}

export function typeLabel (type: string): string {
  return known[type]?.label ?? type
}

function listed (types: readonly string[]): string {
  const labels = types.map(typeLabel)
  return labels.length < 2 ? labels.join('') : `${labels.slice(0, -1).join(', ')} or ${labels.at(-1)!}`
}

/**
 * The start of a text a browser would take for markup if it ever sniffed it (the WHATWG
 * MIME sniffing patterns for HTML, plus XML and SVG). Such a file is refused as text: saved
 * under a name ending .html it would open as a page, script included.
 */
const markup = /^(?:\uFEFF)?[\t\n\f\r ]*<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|!--|svg|\?xml)(?:[\t\n\f\r >/]|$)/i

function textType (head: Buffer): string {
  const start = head.toString('utf8')
  if (!markup.test(start)) return 'text/plain'
  return /^(?:\uFEFF)?[\t\n\f\r ]*<(?:\?xml|svg)/i.test(start) ? 'text/xml' : 'text/html'
}

/** The sender's name for a file without its path, control or invisible formatting characters, at most 150 characters. */
function baseName (raw: string): string {
  const name = [...(raw.split(/[\\/]/).pop() ?? '').replace(/[\p{Cc}\p{Cf}]/gu, '').trim()].slice(0, 150).join('')
  return name === '' || /^\.+$/.test(name) ? 'file' : name
}

/**
 * Extensions that say what a file is, though they name no type a person would send: a
 * name ending in one makes the same promise as ".png". "dat" says nothing and is left out.
 */
let typed: Set<string> | undefined
async function typedExtensions (): Promise<Set<string>> {
  if (typed) return typed
  const { supportedExtensions } = await import('file-type')
  typed = new Set([...supportedExtensions, 'html', 'htm', 'svg', 'js', 'doc', 'xls', 'ppt', 'bat', 'cmd', 'msi', 'scr', 'ps1', 'sh'])
  for (const k of Object.values(known)) for (const e of k.ext) typed.add(e)
  typed.delete('dat')
  return typed
}

/**
 * What the name claims when it disagrees with the content: the label of the type its
 * extension stands for, or null when it agrees, has no extension, or ends in one no type
 * is known by (such a name is kept and gets the content's extension, see cleanName).
 */
export async function claimedType (raw: string, type: string, ext: string): Promise<string | null> {
  const match = /\.([a-z0-9]{1,8})$/i.exec(baseName(raw))
  if (!match) return null
  const named = match[1]!.toLowerCase()
  if ((known[type]?.ext ?? [ext]).includes(named) || !(await typedExtensions()).has(named)) return null
  return Object.values(known).find((k) => k.ext.includes(named))?.label ?? named.toUpperCase()
}

/**
 * The name kept for a file: the last path segment, without control or invisible
 * formatting characters (a right-to-left override can make "gpj.exe" read "exe.jpg"), at
 * most 150 characters, ending in an extension of the type its content really is.
 */
export function cleanName (raw: string, type: string, ext: string): string {
  const name = baseName(raw)
  const endings = known[type]?.ext ?? [ext]
  const lower = name.toLowerCase()
  return endings.some((e) => lower.endsWith(`.${e}`)) ? name : `${name}.${endings[0]!}`
}

/** What removing files from disk came to; failures other than "already gone" are named. */
export interface Discarded { removed: number, missing: number, failed: string[] }

/** Files sent in a chat (docs/features.md#send-file): kept on disk, listed in the Attachments tab, downloaded by both sides. */
export interface FileService {
  /** The largest file accepted, in bytes (setting maxFileBytes). */
  maxFileBytes: number
  /** The types a file may have, as read from its content (setting allowedFileTypes). */
  allowedTypes: string[]
  /**
   * Stores a file sent in `chat` by `author` and posts its message (delivered over the sockets like any other, in seq
   * order). Throws LC_ERR_FILE_TOO_LARGE, _EMPTY, _TYPE, or the chat's own refusals (closed, not theirs); none leaves a
   * file or a row behind.
   */
  upload (chat: Chat, author: Actor, upload: Upload): Promise<{ message: Message, file: FileRef }>
  /** A file of the chat, with where its content is; throws LC_ERR_FILE_NOT_FOUND for another chat's file or one whose content is gone. */
  open (chatId: number, fileId: number): Promise<{ file: ChatFile, path: string }>
  /**
   * Removes the contents of files whose rows are gone (the purge job, once its transaction committed). A file already
   * missing is not an error; any other failure is returned, not thrown, so the rest are still removed.
   */
  discard (storageNames: string[]): Promise<Discarded>
  /** Every file sent in the chat, oldest first (the Attachments tab). */
  list (chatId: number): Promise<ChatFile[]>
}

/**
 * Files sent in a chat (docs/features.md#send-file). The content goes to disk under a random
 * name while its size, SHA-256 and type are read from the bytes themselves; only an
 * allowed, non-empty file within the limit is kept, and then its row and its message
 * commit in one transaction. Anything refused leaves nothing behind, on disk or in a table.
 */
export function createFileService ({ db, chats, base, dir, settings, clock = Date.now }: FileServiceDeps): FileService {
  let ready: Promise<unknown> | undefined
  // Read at each upload: the settings screen may change the limit and the types while the plugin runs.
  const allowed = (): Set<string> => new Set(settings.allowedFileTypes)

  /** The same rules as a text message (chats.postMessage), checked before any byte is written. */
  function mayWrite (chat: Chat, author: Actor): void {
    if (author.kind === 'agent' && chat.agentId !== author.id) {
      if (chat.status === ChatStatus.queued) throw new LC_ERR_CHAT_STATE_CONFLICT(chat.status, 'written to before it is accepted')
      throw new LC_ERR_CHAT_NOT_FOUND(String(chat.id))
    }
    const open = author.kind === 'customer'
      ? (chat.status === ChatStatus.queued || chat.status === ChatStatus.active) && chat.customerLeftAt === null
      : chat.status === ChatStatus.active
    if (!open) throw new LC_ERR_CHAT_CLOSED()
  }

  /** Writes the stream to `path`, measuring it and telling whether it is clean UTF-8 text. */
  async function receive (stream: Readable, path: string) {
    const hash = createHash('sha256')
    const decoder = new TextDecoder('utf-8', { fatal: true })
    let size = 0
    let text = true
    const heads: Buffer[] = []
    let headBytes = 0
    const meter = new Transform({
      transform (chunk: Buffer, _encoding, done) {
        size += chunk.length
        hash.update(chunk)
        if (headBytes < 512) { heads.push(chunk); headBytes += chunk.length }
        if (text) {
          try {
            decoder.decode(chunk, { stream: true })
            if (chunk.includes(0)) text = false
          } catch {
            text = false
          }
        }
        done(null, chunk)
      }
    })
    // 'wx': a name that somehow exists already is an error, never an overwrite. 0o600: the
    // files are read by this process only.
    await pipeline(stream, meter, createWriteStream(path, { flags: 'wx', mode: 0o600 }))
    if (text) {
      try { decoder.decode() } catch { text = false }
    }
    return { size, sha256: hash.digest('hex'), text, head: Buffer.concat(heads).subarray(0, 512) }
  }

  /** The type of the content: its magic bytes, else clean text, else unknown. */
  async function detect (path: string, received: { text: boolean, head: Buffer }): Promise<{ type: string, ext: string }> {
    // Loaded with the first file sent: most processes never check one.
    const { fileTypeFromFile } = await import('file-type')
    const found = await fileTypeFromFile(path)
    if (found) return { type: found.mime, ext: found.ext }
    if (received.text) return { type: textType(received.head), ext: 'txt' }
    return { type: 'application/octet-stream', ext: 'bin' }
  }

  function refusedType (type: string): string {
    if (type === 'application/octet-stream') return 'of a type we could not recognise'
    return known[type] ? `${known[type].label} (${type})` : type
  }

  return {
    get maxFileBytes () { return settings.maxFileBytes },
    get allowedTypes () { return [...settings.allowedFileTypes] },

    async upload (chat: Chat, author: Actor, upload: Upload): Promise<{ message: Message, file: FileRef }> {
      mayWrite(chat, author)
      await (ready ??= mkdir(dir, { recursive: true, mode: 0o700 }))
      const storageName = randomBytes(24).toString('hex')
      const partial = join(dir, `${storageName}.part`)
      const final = join(dir, storageName)
      let stored = false
      try {
        const received = await receive(upload.stream, partial)
        if (upload.truncated()) {
          const max = settings.maxFileBytes
          const sent = upload.sentBytes !== undefined && upload.sentBytes > max ? formatBytes(upload.sentBytes) : `more than ${formatBytes(max)}`
          throw new LC_ERR_FILE_TOO_LARGE(formatBytes(max), sent)
        }
        const { type, ext } = await detect(partial, received)
        const name = cleanName(upload.name, type, ext)
        if (received.size === 0) throw new LC_ERR_FILE_EMPTY(name)
        if (!allowed().has(type)) throw new LC_ERR_FILE_TYPE(refusedType(type), listed(settings.allowedFileTypes))
        // A text file named .png, say: kept renamed, it would reach the other side as something the sender never meant to send.
        const claimed = await claimedType(upload.name, type, ext)
        if (claimed !== null) throw new LC_ERR_FILE_MISMATCH(baseName(upload.name), typeLabel(type), claimed)
        const image = imageTypes.has(type)
        const pixels = image ? await imageDimensions(partial, type).catch(() => null) : null
        await rename(partial, final)
        stored = true
        let ref: FileRef | undefined
        const message = await chats.postFile(chat.id, author, async (trx) => {
          const id = await store.insertFile(trx, {
            chat_id: chat.id,
            storage_name: storageName,
            name,
            type,
            size: received.size,
            sha256: received.sha256,
            author_kind: author.kind,
            author_id: author.id,
            author_name: author.name,
            created_at: clock()
          })
          ref = {
            id,
            name,
            size: received.size,
            type,
            url: `${base}/chats/${chat.id}/files/${id}`,
            sizeText: formatBytes(received.size),
            image,
            ...(image && received.size > thumbnailMaxBytes ? { large: true } : {}),
            ...(pixels ?? {})
          }
          return ref
        })
        stored = false
        return { message, file: ref! }
      } finally {
        await unlink(partial).catch(() => {})
        // Renamed, but the chat closed before its message was written: the row rolled back, so the content goes too.
        if (stored) await unlink(final).catch(() => {})
      }
    },

    async open (chatId: number, fileId: number): Promise<{ file: ChatFile, path: string }> {
      const row = await store.fileOfChat(db, chatId, fileId)
      if (!row) throw new LC_ERR_FILE_NOT_FOUND()
      const path = join(dir, row.storage_name)
      try {
        await stat(path)
      } catch {
        throw new LC_ERR_FILE_NOT_FOUND()
      }
      return { file: store.toChatFile(row), path }
    },

    // Only names the upload step could have made are touched: nothing outside the directory.
    async discard (storageNames: string[]): Promise<Discarded> {
      const out = { removed: 0, missing: 0, failed: [] as string[] }
      for (const name of storageNames) {
        if (!/^[a-f0-9]{16,64}$/.test(name)) {
          out.failed.push(`${name.slice(0, 64)}: not a name this plugin stores files under`)
          continue
        }
        try {
          await unlink(join(dir, name))
          out.removed++
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') out.missing++
          else out.failed.push(`${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
        }
      }
      return out
    },

    async list (chatId: number): Promise<ChatFile[]> {
      return (await store.filesOfChat(db, chatId)).map(store.toChatFile)
    }
  }
}
