import type { EntityManager } from 'typeorm';
import { NO_RULES, type SellerRules } from './policy-rules';
import { type PolicyScope, RefundPolicy, type ReviewMode } from './refund-policy.entity';

/** A policy's values as the change log keeps them (a seller's rules and review only where stated). */
export interface PolicyValue {
  windowDays: number;
  minWindowDays?: number;
  maxWindowDays?: number;
  allowNoRefunds?: boolean;
  review?: ReviewMode;
}

/** Who changes a policy, and within which migration run (if any) and why. */
export interface PolicyChangeBy {
  actor: string;
  runId?: string;
  reason?: string;
}

const valueOf = (policy: RefundPolicy | null): PolicyValue | null =>
  policy && {
    windowDays: policy.windowDays,
    ...(policy.minWindowDays !== null ? { minWindowDays: policy.minWindowDays } : {}),
    ...(policy.maxWindowDays !== null ? { maxWindowDays: policy.maxWindowDays } : {}),
    ...(policy.allowNoRefunds !== null ? { allowNoRefunds: policy.allowNoRefunds } : {}),
    ...(policy.review !== null ? { review: policy.review } : {}),
  };

const sameValue = (a: PolicyValue | null, b: PolicyValue | null) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Serialises every write to one seller's policies and its products' (a product window and its
 * seller's rules are checked against each other): held until the transaction ends.
 */
export async function lockSellerPolicies(manager: EntityManager, sellerId: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('refund-policies:' || $1, 0))`, [sellerId]);
}

/** The policy row of a product or seller, locked for a change (null when none is set). */
export function lockPolicy(manager: EntityManager, scope: PolicyScope, scopeId: string): Promise<RefundPolicy | null> {
  return manager.findOne(RefundPolicy, { where: { scope, scopeId }, lock: { mode: 'pessimistic_write' } });
}

/** A seller's rules (none stated when it has no policy). */
export async function sellerRules(manager: EntityManager, sellerId: string): Promise<SellerRules> {
  const policy = await manager.findOneBy(RefundPolicy, { scope: 'seller', scopeId: sellerId });
  return policy ?? NO_RULES;
}

/**
 * Sets (or with `value: null` removes) one policy and logs the change with its old and new value, the
 * actor, the time and the run, in the caller's transaction (which holds `lockSellerPolicies`). Writing
 * the value a policy already has changes and logs nothing. Answers the policy as it stands.
 */
export async function writePolicy(
  manager: EntityManager,
  target: { scope: PolicyScope; scopeId: string; sellerId: string | null },
  value: PolicyValue | null,
  by: PolicyChangeBy,
): Promise<{ policy: RefundPolicy | null; changed: boolean; previous: PolicyValue | null }> {
  const existing = await lockPolicy(manager, target.scope, target.scopeId);
  const previous = valueOf(existing);
  if (sameValue(previous, value) && (!existing || existing.sellerId === target.sellerId || target.scope === 'seller')) {
    return { policy: existing, changed: false, previous };
  }
  let policy: RefundPolicy | null = null;
  if (value === null) {
    await manager.delete(RefundPolicy, { scope: target.scope, scopeId: target.scopeId });
  } else {
    const [{ now }]: { now: Date }[] = await manager.query(`SELECT clock_timestamp() AS now`);
    policy = manager.create(RefundPolicy, {
      scope: target.scope,
      scopeId: target.scopeId,
      windowDays: value.windowDays,
      sellerId: target.scope === 'product' ? target.sellerId : null,
      minWindowDays: value.minWindowDays ?? null,
      maxWindowDays: value.maxWindowDays ?? null,
      allowNoRefunds: value.allowNoRefunds ?? null,
      review: value.review ?? null,
      updatedAt: now,
      updatedBy: by.actor,
    });
    await manager.save(policy);
  }
  if (!sameValue(previous, value)) {
    await manager.query(
      `INSERT INTO refund_policy_changes (scope, scope_id, seller_id, old_value, new_value, actor, reason, run_id, at)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, coalesce($9, clock_timestamp()))`,
      [target.scope, target.scopeId, target.sellerId, previous && JSON.stringify(previous), value && JSON.stringify(value), by.actor, by.reason ?? null, by.runId ?? null, policy?.updatedAt ?? null],
    );
  }
  return { policy, changed: true, previous };
}

/**
 * The windows set on these products and on their seller, now (the policies as they stand) or as
 * they stood at `at` (from the change log): product id or `seller` → days.
 */
export async function ownWindows(
  manager: EntityManager,
  sellerId: string,
  productIds: string[],
  at?: Date,
): Promise<{ products: Map<string, number>; seller: number | undefined }> {
  const rows: { scope: PolicyScope; scope_id: string; window_days: number | null }[] = at
    ? await manager.query(
        `SELECT DISTINCT ON (scope, scope_id) scope, scope_id, (new_value ->> 'windowDays')::int AS window_days
           FROM refund_policy_changes
          WHERE ((scope = 'product' AND scope_id = ANY($1::text[])) OR (scope = 'seller' AND scope_id = $2)) AND at <= $3
          ORDER BY scope, scope_id, at DESC, id DESC`,
        [productIds, sellerId, at.toISOString()],
      )
    : await manager.query(
        `SELECT scope, scope_id, window_days FROM refund_policies
          WHERE (scope = 'product' AND scope_id = ANY($1::text[])) OR (scope = 'seller' AND scope_id = $2)`,
        [productIds, sellerId],
      );
  const present = rows.filter((row) => row.window_days !== null) as { scope: PolicyScope; scope_id: string; window_days: number }[];
  return {
    products: new Map(present.filter((row) => row.scope === 'product').map((row) => [row.scope_id, row.window_days])),
    seller: present.find((row) => row.scope === 'seller')?.window_days,
  };
}
