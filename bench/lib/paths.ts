import { resolve } from 'node:path';

/** The repository root (bench/dist/lib/ → ../../..). */
export const REPO = resolve(import.meta.dirname, '..', '..', '..');
