import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FileStore, isKey } from './file-store.js';

/**
 * Files in a folder of their own (STORAGE_DIR), outside anything served: `ab/ab…` by key. A file
 * is written to a temporary name and linked into place only when complete, so a crash mid-write
 * leaves no half file under a key.
 */
export class FilesystemFileStore extends FileStore {
  private readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async put(key: string, content: Uint8Array): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true, mode: 0o750 });
    const partial = `${path}.partial`;
    const handle = await open(partial, 'wx', 0o640);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      // link, not rename: an existing key makes it fail instead of being replaced.
      await link(partial, path);
    } finally {
      await rm(partial, { force: true });
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  private path(key: string): string {
    if (!isKey(key)) throw new Error(`Not a file-store key: ${JSON.stringify(key)}`);
    return join(this.root, key);
  }
}
