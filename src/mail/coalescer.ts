/**
 * Runs one statement for many callers: calls made while a batch is in flight wait and go together
 * in the next one. When the database answers quickly each call goes alone (no added latency);
 * when the mail worker runs many jobs at once their reads and writes share round trips. Every
 * caller gets its own result, and an error reaches every caller of the failed batch.
 */
export class Coalescer<K, V> {
  private queue: { key: K; resolve: (value: V) => void; reject: (error: unknown) => void }[] = [];
  private running = false;

  constructor(
    private readonly run: (keys: K[]) => Promise<V[]>,
    private readonly maxBatch = 100,
  ) {}

  load(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.queue.push({ key, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.running = true;
    // A rejection inside run() arrives as a rejected promise; a synchronous throw is caught the same way.
    Promise.resolve()
      .then(() => this.run(batch.map((item) => item.key)))
      .then(
        (values) => batch.forEach((item, index) => item.resolve(values[index]!)),
        (error: unknown) => batch.forEach((item) => item.reject(error)),
      )
      .finally(() => {
        this.running = false;
        this.pump();
      });
  }
}
