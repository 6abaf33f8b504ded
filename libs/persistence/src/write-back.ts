import type { EntityManager, ObjectLiteral } from 'typeorm';

/**
 * Writes a row this transaction has loaded (and locked) back with one UPDATE of its columns by
 * primary key. TypeORM's `save()` would first read the row again to find what changed: a round trip,
 * and the diffing, on every state change of a refund. A @CreateDateColumn, and any column declared
 * `update: false` (left out by TypeORM's update builder), keep what they hold.
 */
export async function writeBack<T extends ObjectLiteral>(manager: EntityManager, entity: T): Promise<void> {
  const metadata = manager.connection.getMetadata(entity.constructor);
  const values: ObjectLiteral = {};
  for (const column of metadata.columns) {
    if (column.isPrimary || column.isCreateDate) continue;
    values[column.propertyName] = column.getEntityValue(entity);
  }
  const where = metadata.getEntityIdMap(entity);
  if (!where) throw new Error(`writeBack: ${metadata.name} has no primary key value`);
  const result = await manager.createQueryBuilder().update(metadata.target).set(values).where(where).execute();
  if (result.affected !== 1) throw new Error(`writeBack: ${metadata.name} ${JSON.stringify(where)} matched ${result.affected} rows`);
}
