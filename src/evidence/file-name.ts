/**
 * A sender's file name made fit to show and to offer as a download name: the last path segment,
 * without control, bidirectional-override or reserved characters, at most 150 characters with its
 * extension kept. Files are stored under generated keys, so the name never reaches a path.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const RESERVED = /[<>:"|?*]/g;
const MAX_LENGTH = 150;

export interface CleanName {
  name: string;
  /** The name had path separators or control characters: it was cut or cleaned, not just shortened. */
  unsafe: boolean;
}

export function cleanFileName(raw: string): CleanName {
  const unsafe = /[/\\]/.test(raw) || new RegExp(CONTROL.source).test(raw);
  let name = (raw.split(/[/\\]/).pop() ?? '')
    .normalize('NFC')
    .replace(CONTROL, '')
    .replace(RESERVED, '_')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if (name.length > MAX_LENGTH) {
    const extension = /\.[A-Za-z0-9]{1,10}$/.exec(name)?.[0] ?? '';
    name = `${[...name.slice(0, name.length - extension.length)]
      .slice(0, MAX_LENGTH - extension.length)
      .join('')
      .trimEnd()}${extension}`;
  }
  return { name: name || 'file', unsafe };
}
