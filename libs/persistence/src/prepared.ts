import type { DataSource, EntityManager } from 'typeorm';

/**
 * A hot query as a named prepared statement: PostgreSQL parses and plans it once per connection
 * instead of on every call (`statement('inbox-insert', 'INSERT …')`). Its text is fixed, so a
 * variable number of rows goes in as arrays (`unnest($1::text[], …)`), never as a VALUES list of
 * varying length. Names are unique per process: two statements with one name would run the first's text.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

const declared = new Map<string, string>();

export function statement(name: string, text: string): Statement {
  const known = declared.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement ${name} is declared twice with different text`);
  declared.set(name, text);
  return { name, text };
}

/**
 * Runs a prepared statement through the manager (its transaction's connection) or the data source
 * (a pooled one), as `manager.query` would: rows, or `[rows, count]` for UPDATE and DELETE.
 * TypeORM hands the query to node-postgres as it is, and node-postgres takes `{ name, text }`.
 */
export function runStatement<T = any>(on: EntityManager | DataSource, { name, text }: Statement, values: unknown[]): Promise<T> {
  return on.query({ name, text } as unknown as string, values);
}
