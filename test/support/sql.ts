import pg from 'pg';

/** One statement on its own connection: for arranging and inspecting test databases directly. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The first row of a statement that always returns one (a count, an INSERT … RETURNING); throws when it returned none. */
export async function sqlOne<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T> {
  const [row] = await sql<T>(url, text, values);
  if (!row) throw new Error(`No row from: ${text}`);
  return row;
}
