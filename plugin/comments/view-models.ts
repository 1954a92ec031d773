import type { AgentScope, Chat } from '../chats/types.ts'
import { type Fragment, fragment } from '../realtime/fragments.ts'
import { targets } from '../realtime/targets.ts'
import type { Views } from '../views.ts'
import { type Comment, type CommentService, maxCommentLength } from './service.ts'

export type CommentViews = ReturnType<typeof createCommentViews>

/** What the comment routes are given (RouteDeps.comments): the service and its views. */
export interface CommentsDeps {
  service: CommentService
  views: CommentViews
}

/** What the form shows: empty to add, a comment's text to edit, or what was typed with why it was refused. */
export interface CommentDraft {
  commentId?: number
  body?: string
  resolution?: boolean
  error?: string | null
}

/** Data for views/comments/*, shared by the tab, the htmx answers and the socket push. */
export function createCommentViews ({ base, comments, views }: { base: string, comments: CommentService, views: Views }) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`

  function form (chatId: number, draft: CommentDraft = {}) {
    const editing = draft.commentId !== undefined
    return {
      chatId,
      editing,
      action: editing ? `${chatUrl(chatId)}/comments/${draft.commentId}` : `${chatUrl(chatId)}/comments`,
      cancelUrl: `${chatUrl(chatId)}/tabs/comments`,
      body: draft.body ?? '',
      resolution: draft.resolution ?? false,
      error: draft.error ?? null,
      maxLength: maxCommentLength.toLocaleString('en')
    }
  }

  function list (chat: Chat, all: Comment[], scope: AgentScope) {
    return {
      chatId: chat.id,
      comments: all.map((c) => {
        const url = `${chatUrl(chat.id)}/comments/${c.id}`
        return {
          ...c,
          mine: c.authorId === scope.id,
          edited: c.updatedAt !== c.createdAt,
          canChange: comments.mayChange(c, chat, scope),
          editUrl: `${url}/edit`,
          deleteUrl: `${url}/delete`,
          resolutionUrl: `${url}/resolution`
        }
      })
    }
  }

  async function listFor (chatId: number, scope: AgentScope) {
    const { chat, comments: all } = await comments.list(chatId, scope)
    return list(chat, all, scope)
  }

  return {
    form,

    /** The whole tab: the form (empty, or a draft) above the list. */
    async tab (chatId: number, scope: AgentScope, draft?: CommentDraft) {
      return { chatId, form: form(chatId, draft), list: await listFor(chatId, scope) }
    },

    formFragment (chatId: number, draft?: CommentDraft): Fragment {
      return fragment(targets.commentForm(chatId), 'outerHTML', views.render('comments/form', form(chatId, draft)))
    },

    /** The list as this agent sees it: which comments they may change depends on who they are. */
    async listFragment (chatId: number, scope: AgentScope): Promise<Fragment> {
      return fragment(targets.comments(chatId), 'outerHTML', views.render('comments/list', await listFor(chatId, scope)))
    }
  }
}
