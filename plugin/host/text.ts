/** Plain text from a host's HTML (an article body, a ticket description written in a rich editor), for excerpts and search. */

/** The named entities rich editors write most; any other is left as written. */
const namedEntities = new Map<string, string>([
  ['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', '\''], ['nbsp', ' '], ['ndash', '–'], ['mdash', '—'],
  ['hellip', '…'], ['lsquo', '‘'], ['rsquo', '’'], ['ldquo', '“'], ['rdquo', '”'], ['laquo', '«'], ['raquo', '»'],
  ['copy', '©'], ['reg', '®'], ['trade', '™'], ['middot', '·'], ['bull', '•'], ['deg', '°'], ['euro', '€'],
  ['pound', '£'], ['times', '×'], ['shy', '']
])

/** Elements that end a line of text: their tags become a space, so words on either side never run together. */
const blockTag = /^\/?(address|article|aside|blockquote|br|dd|div|dl|dt|figcaption|footer|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|td|th|tr|ul)\b/i

function decodeEntity (entity: string, body: string): string {
  if (body.startsWith('#')) {
    const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10)
    // Only real characters: a lone surrogate or a code past Unicode stays as written.
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : entity
  }
  return namedEntities.get(body) ?? entity
}

/**
 * The text a person reads in `html`: tags stripped (scripts, styles and comments with their
 * content), common entities decoded, and whitespace collapsed to single spaces. Block
 * elements and line breaks separate words. Not a sanitizer: the result is text, to be
 * escaped like any other text wherever it is shown.
 */
export function htmlToText (html: string): string {
  return html
    .replace(/<!--[\s\S]*?(-->|$)/g, ' ')
    .replace(/<(script|style|template)\b[^>]*>[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
    .replace(/<\/?([a-z][^>]*)>/gi, (_tag, inner: string) => blockTag.test(inner) ? ' ' : '')
    .replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g, decodeEntity)
    .replace(/[\s\u00a0]+/g, ' ')
    .trim()
}
