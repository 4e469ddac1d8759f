import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKey } from './file-store.js';
import { FilesystemFileStore } from './filesystem-file-store.js';

describe('the filesystem file store', () => {
  let root: string;
  let store: FilesystemFileStore;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'handlingsplan-store-'));
    store = new FilesystemFileStore(root);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('puts, gets and deletes by generated key, leaving no partial file behind', async () => {
    const key = newKey(randomBytes);
    const content = Buffer.from('%PDF-1.7 rapport');
    await store.put(key, content);
    expect(await store.get(key)).toEqual(content);
    expect(await readdir(join(root, key.slice(0, 2)))).toEqual([key.slice(3)]);
    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    await store.delete(key); // removing a missing key is not an error
  });

  it('never overwrites a key, and takes no key it did not make', async () => {
    const key = newKey(randomBytes);
    await store.put(key, Buffer.from('first'));
    await expect(store.put(key, Buffer.from('second'))).rejects.toThrow();
    expect((await store.get(key))!.toString()).toBe('first');
    for (const bad of ['../../etc/passwd', 'ab/../../x', '/etc/passwd', 'AB/CDEF', ''])
      await expect(store.get(bad)).rejects.toThrow('Not a file-store key');
  });
});
