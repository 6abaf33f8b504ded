import type { EntityManager } from 'typeorm';
import type { FlagMode, FlagState } from './rollout-flag';

interface FlagRow {
  mode: FlagMode;
  percentage: number | null;
  set_at: Date;
  updated_at?: Date;
  updated_by?: string;
}

const stateOf = (row: FlagRow | undefined): (FlagState & { updatedAt?: Date; updatedBy?: string }) | undefined =>
  row && { mode: row.mode, percentage: row.percentage, setAt: row.set_at, updatedAt: row.updated_at, updatedBy: row.updated_by };

/** The flag as it is set now; undefined when it never was (off). */
export async function currentFlag(manager: EntityManager, key: string) {
  const [row]: FlagRow[] = await manager.query(`SELECT mode, percentage, set_at, updated_at, updated_by FROM feature_flags WHERE key = $1`, [key]);
  return stateOf(row);
}

/** The flag as it was set at `at`, from its history; undefined when it was not set yet (off). */
export async function flagAt(manager: EntityManager, key: string, at: Date): Promise<FlagState | undefined> {
  const [row]: FlagRow[] = await manager.query(
    `SELECT mode, percentage, set_at FROM feature_flag_changes WHERE key = $1 AND at <= $2 ORDER BY at DESC, id DESC LIMIT 1`,
    [key, at.toISOString()],
  );
  return stateOf(row);
}

/**
 * Sets a flag and keeps the change in its history (what it was at any time), in one transaction.
 * `setAt` moves only when the mode changes: a seller registered after the flag went to `new_sellers`
 * stays enabled while the percentage of another mode is tuned and the mode comes back.
 */
export async function setFlag(manager: EntityManager, key: string, next: { mode: FlagMode; percentage: number | null }, actor: string) {
  const [row]: FlagRow[] = await manager.query(
    `INSERT INTO feature_flags (key, mode, percentage, set_at, updated_at, updated_by)
     VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp(), $4)
     ON CONFLICT (key) DO UPDATE SET
       set_at = CASE WHEN feature_flags.mode = EXCLUDED.mode THEN feature_flags.set_at ELSE EXCLUDED.set_at END,
       mode = EXCLUDED.mode, percentage = EXCLUDED.percentage, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
     RETURNING mode, percentage, set_at, updated_at, updated_by`,
    [key, next.mode, next.percentage, actor],
  );
  await manager.query(
    `INSERT INTO feature_flag_changes (key, mode, percentage, set_at, actor, at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [key, row.mode, row.percentage, row.set_at, actor, row.updated_at],
  );
  return stateOf(row)!;
}
