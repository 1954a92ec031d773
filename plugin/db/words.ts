import { textWords } from './fulltext.ts'

/**
 * The word index of messages (docs/design.md §9 Scale): one row per distinct word of a
 * message, keyed by (word, chat, message), so that a search for a word reads one contiguous
 * range of a B-tree, a few pages, however many messages the desk holds. Both databases
 * keep it alike and so find the same: words cut by `searchWords`' rules (letters and
 * digits, three or more, stopwords dropped, at most 40 characters), in lower case and
 * without accents, compared byte for byte.
 */

/** A word in lower case without accents (É → e), as the full-text parsers compare them. */
function fold (word: string): string {
  // Most words are plain ASCII, which has no accents to take off: normalizing them took half of a message's indexing.
  if (!nonAscii.test(word)) return word.toLowerCase()
  return word.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC')
}

/** Anything but printable ASCII (space to tilde). */
const nonAscii = /[^ -~]/

/** The longest text whose words are indexed: beyond the longest message the settings allow. */
const maxIndexedLength = 20_000

/** Every distinct word of `text` as the index keeps it; empty when none is worth indexing. */
export function indexWords (text: string): string[] {
  return distinctWords(text.slice(0, maxIndexedLength))
}

/**
 * Every distinct word of any of `texts`, as `indexWords` gives each: one text of them all,
 * each cut as it would be alone and ended by a line break, which no word holds; so what
 * is done once a word, not once a word of each text, is done once.
 */
export function wordsOfAll (texts: readonly string[]): string[] {
  return distinctWords(texts.map((text) => text.slice(0, maxIndexedLength)).join('\n'))
}

function distinctWords (text: string): string[] {
  return [...new Set(textWords(text).map(fold))]
}

/**
 * The index words a typed word finds (itself and the longer words it starts), as the range
 * `[low, high)`: U+10FFFF is neither a letter nor a digit, so no word holds it, and every
 * word starting with `typed` sorts below `typed` followed by it, on both databases.
 */
export function wordRange (typed: string): [string, string] {
  const word = fold(typed)
  return [word, `${word}\u{10FFFF}`]
}
