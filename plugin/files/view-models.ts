import type { ChatFile } from './store.ts'
import { formatBytes, imageTypes, typeLabel } from './service.ts'

const sides: Record<string, string> = { customer: 'Customer', agent: 'Agent', system: 'Live chat' }

/** The Attachments tab (views/files/tab.hbs): every file of the chat, oldest first. */
export function attachmentsTab (base: string, chatId: number, files: ChatFile[]) {
  return {
    chatId,
    files: files.map((f) => ({
      name: f.name,
      url: `${base}/chats/${chatId}/files/${f.id}`,
      authorName: f.authorName,
      side: sides[f.authorKind] ?? f.authorKind,
      createdAt: f.createdAt,
      sizeText: formatBytes(f.size),
      type: f.type,
      typeLabel: typeLabel(f.type),
      image: imageTypes.has(f.type)
    }))
  }
}

/** What the upload says next to Send file: nothing once sent, or why it was refused. */
export function uploadStatus (error?: { code: string, message: string }) {
  return { error: error ?? null }
}
