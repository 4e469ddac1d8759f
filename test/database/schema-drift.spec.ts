import { createTestDatabase } from '../support/databases.js';
import { drift, factsFromDatabase, factsFromSchema } from '../support/schema-drift.js';
import { sql } from '../support/sql.js';

const SCHEMA = new URL('../../prisma/schema.prisma', import.meta.url).pathname;

describe('schema.prisma and the migrations', () => {
  it('describe the same database', async () => {
    const db = await createTestDatabase();
    try {
      expect(drift(factsFromSchema(SCHEMA), await factsFromDatabase(db.url))).toEqual([]);
    } finally {
      await db.drop();
    }
  });

  it('would be caught drifting apart (columns, types, nullability, indexes and foreign keys)', async () => {
    const db = await createTestDatabase();
    try {
      await sql(db.url, `ALTER TABLE "Milestone" ADD COLUMN "extra" TEXT`);
      await sql(db.url, `ALTER TABLE "Goal" ALTER COLUMN "title" DROP NOT NULL`);
      await sql(db.url, `DROP INDEX "Contribution_organisationId_idx"`);
      await sql(db.url, `ALTER TABLE "Contact" DROP CONSTRAINT "Contact_organisationId_fkey"`);
      expect(drift(factsFromSchema(SCHEMA), await factsFromDatabase(db.url))).toEqual([
        '+ column Goal.title text null (in the database, not in schema.prisma)',
        '+ column Milestone.extra text null (in the database, not in schema.prisma)',
        '- column Goal.title text not null (in schema.prisma, not in the database)',
        '- foreign key Contact(organisationId) → Organisation(id) on delete cascade (in schema.prisma, not in the database)',
        '- index Contribution(organisationId) (in schema.prisma, not in the database)',
      ]);
    } finally {
      await db.drop();
    }
  });
});
