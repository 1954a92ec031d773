import { fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import { formatBytes, type FileService, imageTypes, typeLabel } from './service.ts'
import type { ChatFile } from './store.ts'

const sides: Record<string, string> = { customer: 'Customer', agent: 'Agent', system: 'Live chat' }

/** views/files/tab.hbs: the Attachments tab, every file of the chat, oldest first. */
export interface AttachmentsTabModel {
  chatId: number
  files: Array<{
    name: string
    url: string
    authorName: string
    side: string
    createdAt: number
    sizeText: string
    type: string
    typeLabel: string
    image: boolean
  }>
}

/** views/files/status.hbs: why an upload was refused, beside Send file. */
export interface UploadStatusModel {
  chatId: number
  error: { code: string, message: string } | null
}

export const attachmentsTabFragment = bind('files/tab', 'innerHTML', (m: AttachmentsTabModel) => targets.tabPanel(m.chatId))
export const uploadStatusFragment = bind('files/status', 'innerHTML', (m: UploadStatusModel) => targets.fileStatus(m.chatId))

/** The Attachments tab's model, from the chat's files. */
function attachmentsTab (base: string, chatId: number, files: ChatFile[]): AttachmentsTabModel {
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

export interface FileViewsDeps {
  base: string
  files: Pick<FileService, 'list'>
}

export type FileViews = ReturnType<typeof createFileViews>

/** The models of views/files/*: the Attachments tab and what an upload says beside Send file. */
export function createFileViews ({ base, files }: FileViewsDeps) {
  return {
    /** The Attachments tab; the caller checked the viewer may see the chat. */
    async tab (chatId: number): Promise<Fragment> {
      return attachmentsTabFragment(attachmentsTab(base, chatId, await files.list(chatId)))
    },

    /** Why the upload was refused, beside Send file; the draft in the composer is untouched. */
    refused (chatId: number, error: { code: string, message: string }): Fragment {
      return uploadStatusFragment({ chatId, error })
    },

    /** Nothing beside Send file: the file was sent (its message arrives over the socket). */
    sent (chatId: number): Fragment {
      return fragment(targets.fileStatus(chatId), 'innerHTML', '')
    }
  }
}
