/**
 * Where kept files live. One small interface so another store (an S3-compatible bucket) can be
 * chosen by configuration later; the service never builds a path from anything a sender named:
 * keys are generated (`newKey`), and a store refuses any other shape.
 */
export abstract class FileStore {
  /** Stores the bytes under the key; an existing key is never overwritten. */
  abstract put(key: string, content: Uint8Array): Promise<void>;
  /** The bytes under the key, or null when there are none. */
  abstract get(key: string): Promise<Buffer | null>;
  /** Removes the key; removing a missing key is not an error. */
  abstract delete(key: string): Promise<void>;
}

const KEY = /^[a-f0-9]{2}\/[a-f0-9]{32}$/;

/** A key no one chose: two hex characters of fan-out, then 128 random bits. */
export function newKey(random: (bytes: number) => Buffer): string {
  const hex = random(16).toString('hex');
  return `${hex.slice(0, 2)}/${hex}`;
}

export function isKey(key: string): boolean {
  return KEY.test(key);
}
