import type { EntityManager, ObjectLiteral } from 'typeorm';

/**
 * Writes a row this transaction has loaded (and locked) back with one UPDATE of its columns by
 * primary key. TypeORM's `save()` would first read the row again to find what changed: a round trip,
 * and the diffing, on every state change of a refund. A @CreateDateColumn, and any column declared
 * `update: false` (left out by TypeORM's update builder), keep what they hold.
 */
export async function writeBack<T extends ObjectLiteral>(manager: EntityManager, entity: T, options: { refresh?: (keyof T & string)[] } = {}): Promise<void> {
  const metadata = manager.connection.getMetadata(entity.constructor);
  const values: ObjectLiteral = {};
  for (const column of metadata.columns) {
    if (column.isPrimary || column.isCreateDate) continue;
    values[column.propertyName] = column.getEntityValue(entity);
  }
  const where = metadata.getEntityIdMap(entity);
  if (!where) throw new Error(`writeBack: ${metadata.name} has no primary key value`);
  const refresh = (options.refresh ?? []).map((property) => metadata.findColumnWithPropertyName(property)!);
  const update = manager.createQueryBuilder().update(metadata.target).set(values).where(where);
  // columns the database sets itself (a trigger's timestamp) are read back, so the entity shows what was stored
  if (refresh.length > 0) update.returning(refresh.map((column) => `"${column.databaseName}"`).join(', '));
  const result = await update.execute();
  if (result.affected !== 1) throw new Error(`writeBack: ${metadata.name} ${JSON.stringify(where)} matched ${result.affected} rows`);
  for (const column of refresh) column.setEntityValue(entity, new Date((result.raw as Record<string, unknown>[])[0][column.databaseName] as string));
}
