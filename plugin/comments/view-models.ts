import type { AgentScope, Chat } from '../chats/types.ts'
import { targets } from '../realtime/targets.ts'
import { bind, type Fragment } from '../web/fragments.ts'
import type { CommentFormState } from './schemas.ts'
import { type Comment, type CommentService, maxCommentLength } from './service.ts'

/** views/comments/form.hbs: empty to add, a comment's text to edit, or what was typed with why it was refused. */
export interface CommentFormModel extends CommentFormState {
  chatId: number
  editing: boolean
  action: string
  cancelUrl: string
  maxLength: string
}

/** views/comments/list.hbs: the comments as one agent sees them (which they may change differs). */
export interface CommentListModel {
  chatId: number
  comments: Array<Comment & { mine: boolean, edited: boolean, canChange: boolean, editUrl: string, deleteUrl: string, resolutionUrl: string }>
}

/** views/comments/tab.hbs: the form above the list. */
export interface CommentTabModel {
  chatId: number
  form: CommentFormModel
  list: CommentListModel
}

export const commentFormFragment = bind('comments/form', 'outerHTML', (m: CommentFormModel) => targets.commentForm(m.chatId))
export const commentListFragment = bind('comments/list', 'outerHTML', (m: CommentListModel) => targets.comments(m.chatId))
export const commentTabFragment = bind('comments/tab', 'innerHTML', (m: CommentTabModel) => targets.tabPanel(m.chatId))

export type CommentViews = ReturnType<typeof createCommentViews>

/** The models of views/comments/*, shared by the tab, the htmx answers and the socket push. */
export function createCommentViews ({ base, comments }: { base: string, comments: Pick<CommentService, 'list' | 'mayChange'> }) {
  const chatUrl = (chatId: number): string => `${base}/console/chats/${chatId}`

  /** The form for a new comment, or for editing `commentId`. */
  function form (chatId: number, state: CommentFormState = { values: {}, errors: {} }, commentId?: number): CommentFormModel {
    const editing = commentId !== undefined
    return {
      chatId,
      editing,
      action: editing ? `${chatUrl(chatId)}/comments/${commentId}` : `${chatUrl(chatId)}/comments`,
      cancelUrl: `${chatUrl(chatId)}/tabs/comments`,
      ...state,
      maxLength: maxCommentLength.toLocaleString('en')
    }
  }

  function list (chat: Chat, all: Comment[], scope: AgentScope): CommentListModel {
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

  async function listFor (chatId: number, scope: AgentScope): Promise<CommentListModel> {
    const { chat, comments: all } = await comments.list(chatId, scope)
    return list(chat, all, scope)
  }

  return {
    /** The whole tab: the empty form above the list. */
    async tab (chatId: number, scope: AgentScope): Promise<Fragment> {
      return commentTabFragment({ chatId, form: form(chatId), list: await listFor(chatId, scope) })
    },

    /** The form: empty after a save, a comment to edit (`commentId`), or as refused. */
    form (chatId: number, state?: CommentFormState, commentId?: number): Fragment {
      return commentFormFragment(form(chatId, state, commentId))
    },

    /** The list as this agent sees it: which comments they may change depends on who they are. */
    async list (chatId: number, scope: AgentScope): Promise<Fragment> {
      return commentListFragment(await listFor(chatId, scope))
    }
  }
}
