/**
 * A mail composing thread (started by ComposeThreads): renders templates and builds MIME for the
 * delivery worker, whose own thread keeps to the queue, the database and the SMTP sockets.
 * Messages: { id, request } in; { id, message } or { id, error } out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MessageComposer, type ComposeRequest } from './message-composer.js';

const port = parentPort!;
const composer = new MessageComposer((workerData as { templatesDir?: string }).templatesDir);

port.on('message', ({ id, request }: { id: number; request: ComposeRequest }) => {
  composer.compose(request).then(
    (message) => port.postMessage({ id, message }),
    (error: Error) => port.postMessage({ id, error: { message: error.message, stack: error.stack } }),
  );
});
