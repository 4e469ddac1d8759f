// Names this Jest run, so that its databases can be told from those of another run on the same
// server (two engineers, or an editor's test runner beside a terminal). The workers inherit it.
import { randomBytes } from 'node:crypto';

export default async function globalSetup() {
  process.env.HANDLINGSPLAN_TEST_RUN ??= randomBytes(3).toString('hex');
}
