import { Coalescer } from './coalescer.js';

/** A run() whose batches are answered by hand, so a test decides when the "database" replies. */
function controlled<K, V>() {
  const batches: { keys: K[]; resolve: (values: V[]) => void; reject: (error: unknown) => void }[] = [];
  const run = (keys: K[]) =>
    new Promise<V[]>((resolve, reject) => {
      batches.push({ keys, resolve, reject });
    });
  return { batches, run };
}

/** Lets the promise callbacks queued so far run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Coalescer', () => {
  it('runs a lone call by itself, at once', async () => {
    const { batches, run } = controlled<number, string>();
    const coalescer = new Coalescer(run);
    const result = coalescer.load(7);
    await flush();
    expect(batches.map((b) => b.keys)).toEqual([[7]]);
    batches[0]!.resolve(['seven']);
    await expect(result).resolves.toBe('seven');
  });

  it('gathers the calls made while a batch is in flight into the next batch, and answers each caller with its own value', async () => {
    const { batches, run } = controlled<number, string>();
    const coalescer = new Coalescer(run);
    const first = coalescer.load(1);
    await flush();
    const waiting = [2, 3, 4].map((key) => coalescer.load(key));
    await flush();
    expect(batches.map((b) => b.keys)).toEqual([[1]]); // nothing else runs while the first batch is out

    batches[0]!.resolve(['one']);
    await expect(first).resolves.toBe('one');
    await flush();
    expect(batches.map((b) => b.keys)).toEqual([[1], [2, 3, 4]]);
    batches[1]!.resolve(['two', 'three', 'four']);
    await expect(Promise.all(waiting)).resolves.toEqual(['two', 'three', 'four']);
  });

  it('never puts more than maxBatch keys in one batch, and takes the rest in order', async () => {
    const { batches, run } = controlled<number, number>();
    const coalescer = new Coalescer(run, 2);
    const first = coalescer.load(0);
    await flush();
    const rest = [1, 2, 3, 4, 5].map((key) => coalescer.load(key));
    batches[0]!.resolve([0]);
    await first;
    for (let i = 1; i <= 3; i++) {
      await flush();
      expect(batches).toHaveLength(i + 1);
      batches[i]!.resolve(batches[i]!.keys.map((key) => key * 10));
    }
    expect(batches.map((b) => b.keys)).toEqual([[0], [1, 2], [3, 4], [5]]);
    await expect(Promise.all(rest)).resolves.toEqual([10, 20, 30, 40, 50]);
  });

  it('rejects every caller of a failed batch, and only those, and carries on with the next batch', async () => {
    const { batches, run } = controlled<number, string>();
    const coalescer = new Coalescer(run);
    const lone = coalescer.load(1);
    await flush();
    const failing = [coalescer.load(2), coalescer.load(3)];
    batches[0]!.resolve(['one']);
    await lone;
    await flush();
    const error = new Error('connection lost');
    batches[1]!.reject(error);
    await expect(failing[0]).rejects.toBe(error);
    await expect(failing[1]).rejects.toBe(error);

    const after = coalescer.load(4);
    await flush();
    expect(batches.map((b) => b.keys)).toEqual([[1], [2, 3], [4]]);
    batches[2]!.resolve(['four']);
    await expect(after).resolves.toBe('four');
  });

  it('treats a run() that throws synchronously like one that rejects', async () => {
    let calls = 0;
    const coalescer = new Coalescer<number, number>((keys) => {
      if (calls++ === 0) throw new Error('bad statement');
      return Promise.resolve(keys);
    });
    await expect(coalescer.load(1)).rejects.toThrow('bad statement');
    await expect(coalescer.load(2)).resolves.toBe(2);
  });

  it('runs each key once, in the order the calls were made', async () => {
    const seen: number[][] = [];
    const coalescer = new Coalescer<number, number>(async (keys) => {
      seen.push(keys);
      await flush();
      return keys.map((key) => -key);
    });
    const results = await Promise.all([5, 6, 7, 8].map((key) => coalescer.load(key)));
    expect(results).toEqual([-5, -6, -7, -8]);
    expect(seen.flat()).toEqual([5, 6, 7, 8]);
    expect(seen[0]).toEqual([5]);
    expect(seen.length).toBe(2); // the first alone, then everything that arrived while it ran
  });
});
