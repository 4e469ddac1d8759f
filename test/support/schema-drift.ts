import { readFileSync } from 'node:fs';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import pg from 'pg';

/**
 * Compares prisma/schema.prisma with a migrated database, without Prisma's schema engine: the
 * schema is read by Prisma's own parser (WebAssembly), the database from its catalogue, and both
 * are reduced to the same facts (tables, columns with type, nullability and default, enums,
 * indexes, foreign keys). Each fact present on one side only is a line of drift.
 */

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  /** A `@db.…` attribute, e.g. ['Timestamptz', ['3']]. */
  nativeType?: [string, string[]] | null;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; values: { name: string }[] }[];
    indexes: { model: string; type: 'id' | 'unique' | 'normal' | 'fulltext'; fields: { name: string }[] }[];
  };
}

const SCALAR_TYPES: Record<string, string> = {
  Int: 'int4',
  BigInt: 'int8',
  String: 'text',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Float: 'float8',
  Decimal: 'numeric',
  Json: 'jsonb',
  Bytes: 'bytea',
};

export function factsFromSchema(schemaPath: string): Set<string> {
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [[schemaPath, readFileSync(schemaPath, 'utf8')]] }))) as Dmmf;
  const facts = new Set<string>();
  const tableOf = new Map(dmmf.datamodel.models.map((model) => [model.name, model.dbName ?? model.name]));
  const columnOf = (model: DmmfModel, field: string) => {
    const found = model.fields.find((f) => f.name === field);
    return found?.dbName ?? field;
  };

  for (const enumeration of dmmf.datamodel.enums) {
    facts.add(`enum ${enumeration.name} (${enumeration.values.map((v) => v.name).join(', ')})`);
  }
  for (const model of dmmf.datamodel.models) {
    const table = tableOf.get(model.name)!;
    facts.add(`table ${table}`);
    for (const field of model.fields) {
      if (field.kind === 'object') {
        if (field.relationFromFields?.length) {
          const target = dmmf.datamodel.models.find((m) => m.name === field.type)!;
          const onDelete = (field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull')).toLowerCase();
          facts.add(
            `foreign key ${table}(${field.relationFromFields.map((f) => columnOf(model, f)).join(', ')}) → ${tableOf.get(field.type)}(${field.relationToFields!.map((f) => columnOf(target, f)).join(', ')}) on delete ${onDelete}`,
          );
        }
        continue;
      }
      const type =
        field.kind === 'enum'
          ? field.type
          : field.nativeType
            ? field.nativeType[0].toLowerCase()
            : (SCALAR_TYPES[field.type] ?? `unsupported ${field.type}`);
      const nullability = field.isRequired || field.isList ? 'not null' : 'null';
      // Prisma lists are nullable columns without NOT NULL; compare them as the migration writes them.
      const listNullability = field.isList ? 'null' : nullability;
      facts.add(
        `column ${table}.${field.dbName ?? field.name} ${type}${field.isList ? '[]' : ''} ${listNullability}${field.hasDefaultValue ? ' default' : ''}`,
      );
    }
  }
  for (const index of dmmf.datamodel.indexes) {
    const model = dmmf.datamodel.models.find((m) => m.name === index.model)!;
    const kind = index.type === 'id' ? 'primary key' : index.type === 'unique' ? 'unique index' : 'index';
    facts.add(`${kind} ${tableOf.get(index.model)}(${index.fields.map((f) => columnOf(model, f.name)).join(', ')})`);
  }
  return facts;
}

export async function factsFromDatabase(databaseUrl: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const facts = new Set<string>();
    const query = async <T extends pg.QueryResultRow>(text: string) => (await client.query<T>(text)).rows;

    for (const row of await query<{ name: string; values: string[] }>(`
      SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname`)) {
      facts.add(`enum ${row.name} (${row.values.join(', ')})`);
    }
    const tables = await query<{ table_name: string }>(`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`);
    for (const { table_name } of tables) facts.add(`table ${table_name}`);

    for (const column of await query<{
      table_name: string;
      column_name: string;
      udt_name: string;
      data_type: string;
      is_nullable: string;
      column_default: string | null;
    }>(`
      SELECT table_name, column_name, udt_name, data_type, is_nullable, column_default FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`)) {
      const list = column.data_type === 'ARRAY';
      const type = list ? column.udt_name.replace(/^_/, '') : column.udt_name;
      facts.add(
        `column ${column.table_name}.${column.column_name} ${type}${list ? '[]' : ''} ${column.is_nullable === 'YES' ? 'null' : 'not null'}${column.column_default === null ? '' : ' default'}`,
      );
    }

    for (const index of await query<{ table_name: string; is_primary: boolean; is_unique: boolean; columns: string[] }>(`
      SELECT c.relname AS table_name, i.indisprimary AS is_primary, i.indisunique AS is_unique,
             array_agg(a.attname::text ORDER BY k.ordinality) AS columns
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE n.nspname = 'public' AND c.relname <> '_prisma_migrations'
      GROUP BY c.relname, i.indexrelid, i.indisprimary, i.indisunique`)) {
      const kind = index.is_primary ? 'primary key' : index.is_unique ? 'unique index' : 'index';
      facts.add(`${kind} ${index.table_name}(${index.columns.join(', ')})`);
    }

    const actions: Record<string, string> = { a: 'noaction', r: 'restrict', c: 'cascade', n: 'setnull', d: 'setdefault' };
    for (const fk of await query<{
      source: string;
      source_columns: string[];
      target: string;
      target_columns: string[];
      on_delete: string;
    }>(`
      SELECT src.relname AS source, tgt.relname AS target, con.confdeltype AS on_delete,
        (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS source_columns,
        (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS target_columns
      FROM pg_constraint con
      JOIN pg_class src ON src.oid = con.conrelid
      JOIN pg_class tgt ON tgt.oid = con.confrelid
      JOIN pg_namespace n ON n.oid = src.relnamespace
      WHERE con.contype = 'f' AND n.nspname = 'public'`)) {
      facts.add(
        `foreign key ${fk.source}(${fk.source_columns.join(', ')}) → ${fk.target}(${fk.target_columns.join(', ')}) on delete ${actions[fk.on_delete]}`,
      );
    }
    return facts;
  } finally {
    await client.end();
  }
}

/** Lines of drift: "+ fact" only in the database, "- fact" only in schema.prisma. */
export function drift(schema: Set<string>, database: Set<string>): string[] {
  return [
    ...[...schema].filter((fact) => !database.has(fact)).map((fact) => `- ${fact} (in schema.prisma, not in the database)`),
    ...[...database].filter((fact) => !schema.has(fact)).map((fact) => `+ ${fact} (in the database, not in schema.prisma)`),
  ].sort();
}
