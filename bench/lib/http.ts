import http from 'node:http';

/** HTTP to the service on loopback only: keep-alive connections, timing per request. */
export interface Response {
  status: number;
  body: Buffer;
  ms: number;
}

const defaultAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function assertLoopback(url: URL): void {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`benchmarks only talk to loopback, not ${url.hostname}`);
}

export function request(
  method: string,
  target: string,
  options: { body?: unknown; headers?: Record<string, string>; agent?: http.Agent; timeoutMs?: number } = {},
): Promise<Response> {
  const url = new URL(target);
  assertLoopback(url);
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      url,
      {
        method,
        agent: options.agent ?? defaultAgent,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
          ...options.headers,
        },
        timeout: options.timeoutMs ?? 600_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export const get = (target: string, headers?: Record<string, string>) => request('GET', target, { headers, timeoutMs: 120_000 });

export interface LoadResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  latencies: number[];
  elapsedMs: number;
  firstError?: string;
}

/**
 * A closed loop: `concurrency` clients, each sending its next request when the last one has
 * answered, until `durationMs` has passed or `maxRequests` have been sent, whichever is first.
 */
export async function closedLoop(options: {
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  next: (i: number) => { method: string; url: string; body?: unknown };
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let issued = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const client = async () => {
    while (performance.now() < deadline && issued < options.maxRequests) {
      const spec = options.next(issued++);
      try {
        const response = await request(spec.method, spec.url, { body: spec.body, agent, timeoutMs: 30_000 });
        latencies.push(response.ms);
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        if (response.status >= 400) {
          errors++;
          firstError ??= `${response.status} ${response.body.toString('utf8').slice(0, 300)}`;
        }
      } catch (error) {
        errors++;
        statuses.network = (statuses.network ?? 0) + 1;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, client));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { requests: latencies.length + (statuses.network ?? 0), errors, statuses, latencies, elapsedMs, firstError };
}
