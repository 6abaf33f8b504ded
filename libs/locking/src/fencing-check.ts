import type { EntityManager } from 'typeorm';
import { StaleLockError } from './lock-errors';

// records the token only when no higher one has written for this key; the row lock taken here
// holds until the caller's transaction ends, so a newer holder's check waits for this commit
const RECORD_TOKEN_SQL = `
INSERT INTO fencing_tokens (key, token) VALUES ($1, $2)
ON CONFLICT (key) DO UPDATE SET token = EXCLUDED.token, updated_at = now()
WHERE fencing_tokens.token <= EXCLUDED.token
RETURNING token`;

/**
 * The database's last word on a lock: inside the caller's transaction, records `token` for `key`
 * unless a higher token has already written, and throws `StaleLockError` if one has — so a holder
 * whose lock expired (GC pause, network stall) cannot commit after a newer holder. The same token
 * may write any number of times.
 */
export async function assertFencingToken(manager: EntityManager, key: string, token: number): Promise<void> {
  if (!Number.isSafeInteger(token) || token < 1) throw new RangeError(`fencing token must be a positive integer, got ${token}`);
  // outside a transaction the check would commit at once and fence nothing that follows it
  if (!manager.queryRunner?.isTransactionActive) {
    throw new Error(`assertFencingToken("${key}") must run inside the transaction that does the guarded write`);
  }
  const rows: unknown[] = await manager.query(RECORD_TOKEN_SQL, [key, token]);
  if (rows.length === 0) throw new StaleLockError(key, token);
}
