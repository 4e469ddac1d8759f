import { parseArgs } from 'node:util';
import { createBenchDatabase } from './lib/db.js';
import { generatePlan, roundShape, spreadShape } from './lib/generate.js';
import { count, seconds } from './lib/stats.js';

/**
 * The synthetic plan generator on its own, for trying things by hand:
 *
 *   node bench/dist/generate.js --milestones 100000            # roll-up shape, a new database
 *   node bench/dist/generate.js --organisations 5000 --round [--due 3 --later 1]   # round shape: 5,000 digests
 *   node bench/dist/generate.js --milestones 1000000 --database postgresql://…/mydb  # an existing, migrated, empty database
 *
 * It prints the database URL; drop it with DROP DATABASE when done.
 */
const { values } = parseArgs({
  options: {
    milestones: { type: 'string' },
    organisations: { type: 'string' },
    round: { type: 'boolean', default: false },
    due: { type: 'string' },
    later: { type: 'string' },
    database: { type: 'string' },
    year: { type: 'string' },
  },
});
const year = Number(values.year ?? new Date().getFullYear());
const shape = values.round
  ? roundShape(Number(values.organisations ?? 1000), year, Number(values.due ?? 3), Number(values.later ?? 0))
  : spreadShape(Number(values.milestones ?? 10_000), year);
const url = values.database ?? (await createBenchDatabase(values.round ? 'round' : 'plan')).url;
const generated = await generatePlan(url, shape);
console.log(
  `${url}\n${count(generated.organisations)} organisations, ${count(generated.contributions)} contributions, ${count(generated.milestones)} milestones, ${count(generated.updates)} updates in ${seconds(generated.ms)}`,
);
