import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A counting proxy between the service and PostgreSQL, for diagnosis only (it adds a hop, so no
 * end-to-end timing is taken through it). It reads both sides of the wire protocol and counts
 * statements (Execute and simple Query messages) and round trips (Sync and Query, each answered
 * by ReadyForQuery), and adds up how long each round trip waited for its ReadyForQuery: the time
 * spent in PostgreSQL (and on loopback), as against the time the service spends on its own.
 */
export interface PgCounts {
  statements: number;
  roundTrips: number;
  /** Sum over round trips of the time from Sync/Query to ReadyForQuery, in ms. */
  waitMs: number;
}

export class PgCounter {
  readonly counts: PgCounts = { statements: 0, roundTrips: 0, waitMs: 0 };
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: URL): Promise<PgCounter> {
    let counter: PgCounter | null = null;
    const server = createServer((client) => counter!.handle(client, target));
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    counter = new PgCounter(server, port);
    return counter;
  }

  /** The database URL with this proxy in place of the server. */
  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  snapshot(): PgCounts {
    return { ...this.counts };
  }

  since(before: PgCounts): PgCounts {
    return {
      statements: this.counts.statements - before.statements,
      roundTrips: this.counts.roundTrips - before.roundTrips,
      waitMs: this.counts.waitMs - before.waitMs,
    };
  }

  private handle(client: Socket, target: URL): void {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    // No Nagle delays on the extra hop: the service's own socket to PostgreSQL has none either.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.sockets.add(client).add(upstream);
    const waiting: number[] = [];
    let sslAnswers = 0;
    let fromClient = Buffer.alloc(0);
    let fromServer = Buffer.alloc(0);
    let startup = true;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      fromClient = Buffer.concat([fromClient, chunk]);
      for (;;) {
        if (startup) {
          if (fromClient.length < 8) break;
          const length = fromClient.readInt32BE(0);
          if (fromClient.length < length) break;
          const code = fromClient.readInt32BE(4);
          fromClient = fromClient.subarray(length);
          // SSLRequest and GSSENCRequest come before the real startup message; each gets one byte back.
          if (code === 80877103 || code === 80877104) sslAnswers++;
          else startup = false;
          continue;
        }
        if (fromClient.length < 5) break;
        const length = fromClient.readInt32BE(1);
        if (fromClient.length < length + 1) break;
        const type = String.fromCharCode(fromClient[0]!);
        if (type === 'E' || type === 'Q') this.counts.statements++;
        if (type === 'S' || type === 'Q') {
          this.counts.roundTrips++;
          waiting.push(performance.now());
        }
        fromClient = fromClient.subarray(length + 1);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      fromServer = Buffer.concat([fromServer, chunk]);
      for (;;) {
        if (sslAnswers > 0) {
          if (fromServer.length < 1) break;
          sslAnswers--;
          fromServer = fromServer.subarray(1);
          continue;
        }
        if (fromServer.length < 5) break;
        const length = fromServer.readInt32BE(1);
        if (fromServer.length < length + 1) break;
        // ReadyForQuery: the oldest outstanding round trip is over (the first one follows startup).
        if (fromServer[0] === 0x5a) {
          const sent = waiting.shift();
          if (sent !== undefined) this.counts.waitMs += performance.now() - sent;
        }
        fromServer = fromServer.subarray(length + 1);
      }
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
