/**
 * Text PostgreSQL cannot store: a NUL character (text and jsonb refuse it) or a UTF-16 surrogate
 * without its pair (not valid UTF-8). Such text is refused at the door with a message, or, where
 * it cannot be refused (a received email), cleaned the same way everywhere.
 */
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: code units). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function unstorableText(value: string): 'NUL' | 'surrogate' | null {
  if (value.includes('\u0000')) return 'NUL';
  if (new RegExp(LONE_SURROGATE.source).test(value)) return 'surrogate';
  return null;
}

/** The text without NUL characters, and with each lone surrogate replaced by U+FFFD. */
export function cleanText(value: string): string {
  return value.replace(NUL, '').replace(LONE_SURROGATE, '\uFFFD');
}
