/**
 * A mail composing thread of ComposeThreads' piscina pool: renders templates and builds MIME for the
 * delivery worker, whose own thread keeps to the queue, the database and the SMTP sockets. A message
 * that cannot be composed is answered with its error, not thrown, so that a task the pool rejects
 * always means that the thread itself failed.
 */
import { workerData } from 'node:worker_threads';
import { MessageComposer, type ComposedMessage, type ComposeRequest } from './message-composer.js';

export type ComposeReply = { message: ComposedMessage } | { error: { message: string; stack?: string } };

const composer = new MessageComposer((workerData as { templatesDir?: string }).templatesDir);

export default async function compose(request: ComposeRequest): Promise<ComposeReply> {
  try {
    return { message: await composer.compose(request) };
  } catch (error) {
    return { error: { message: (error as Error).message, stack: (error as Error).stack } };
  }
}
