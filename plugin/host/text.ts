/**
 * Text the host stores as HTML (an article's body, say) made plain, for excerpts the plugin
 * shows to customers and agents (docs/hosts.md#knowledge-and-audience). Never markup: what
 * comes out is escaped like any other text where it is shown.
 */

const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—', hellip: '…', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', bull: '•', middot: '·', copy: '©', reg: '®', trade: '™', deg: '°', times: '×', euro: '€', pound: '£', shy: '' }

/** Marks where a block starts or ends while tags are taken out: a private-use character, removed from the input first. */
const mark = '\uE000'

/** Elements whose content is never text a reader sees. */
const hidden = /<(script|style|head|template|noscript|svg|iframe|object)\b[^>]*>[\s\S]*?<\/\1\s*>/gi
/** Elements that start a new line when a page is read. */
const blocks = /<\/?(p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|tr|table|thead|tbody|blockquote|pre|section|article|header|footer|aside|nav|figure|figcaption|address|details|summary)\b[^>]*>/gi

function decodeEntity (entity: string, body: string): string {
  if (body.startsWith('#')) {
    const code = body[1] === 'x' || body[1] === 'X' ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10)
    // A code point that is none (or a control character) is dropped rather than kept as markup.
    if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return ''
    return code < 32 && code !== 9 && code !== 10 ? ' ' : String.fromCodePoint(code)
  }
  return named[body.toLowerCase()] ?? entity
}

/**
 * `html` as a reader sees it: no elements, comments or scripts; entities decoded; blocks and
 * line breaks as new lines (a blank line, where there was one, between paragraphs); runs of
 * spaces as one. Text with no markup comes back as it was,
 * apart from its spacing (a lone `<` or `>` that opens no tag is text and stays).
 */
export function htmlToText (html: string): string {
  return html
    .replace(/\r\n?/g, '\n')
    // Control characters are never text (tabs and new lines are spacing).
    .replace(/[\p{Cc}\uE000]/gu, (c) => c === '\n' || c === '\t' ? c : ' ')
    .replace(/<!--[\s\S]*?(-->|$)/g, ' ')
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(hidden, ' ')
    .replace(blocks, mark)
    .replace(/<\/?[a-zA-Z][^<>]*>/g, '')
    .replace(/<![^<>]*>/g, '')
    .replace(/&(#[0-9]{1,10}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z]{2,8});?/g, (entity, body: string) => decodeEntity(entity, body))
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    // Between blocks, a new line; a blank line only where the source had one.
    .replace(/\s*\uE000[\s\uE000]*/g, (run) => /\n[^\n]*\n/.test(run.replaceAll(mark, '')) ? '\n\n' : '\n')
    .replace(/ *\n\s*\n\s*/g, '\n\n')
    .replace(/ *\n */g, '\n')
    .trim()
}
