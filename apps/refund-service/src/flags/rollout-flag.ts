import { createHash } from 'node:crypto';

/** The flag that decides which sellers are judged by per-product refund windows. */
export const PER_PRODUCT_POLICIES = 'per-product-policies';

export const FLAG_MODES = ['off', 'new_sellers', 'percentage', 'all'] as const;
export type FlagMode = (typeof FLAG_MODES)[number];

/** A rollout flag as set: its mode, the percentage (mode `percentage`), and when the mode was last set. */
export interface FlagState {
  mode: FlagMode;
  percentage: number | null;
  /** `new_sellers` enables the sellers registered after this */
  setAt: Date;
}

/** Why a seller is (or is not) enabled: `{enabled, reason}` of the admin API, the variant of the evaluation. */
export type RolloutReason =
  | 'off'
  | 'all'
  | 'registered_after_flag'
  | 'registered_before_flag'
  | 'seller_not_registered'
  | 'in_rollout_percentage'
  | 'outside_rollout_percentage';

/**
 * A seller's bucket, 0–99: the first four bytes of SHA-256 over the flag key and the seller id. The
 * same seller always lands in the same bucket, so a percentage enables the same sellers on every call
 * and every replica, and raising it only adds sellers.
 */
export function bucketOf(flagKey: string, sellerId: string): number {
  return createHash('sha256').update(`${flagKey}:${sellerId}`).digest().readUInt32BE(0) % 100;
}

/** Whether a flag in `state` (none set: off) enables a seller registered at `registeredAt` (unknown: undefined). */
export function decide(flagKey: string, state: FlagState | undefined, sellerId: string, registeredAt: Date | undefined): { enabled: boolean; reason: RolloutReason } {
  switch (state?.mode ?? 'off') {
    case 'off':
      return { enabled: false, reason: 'off' };
    case 'all':
      return { enabled: true, reason: 'all' };
    case 'new_sellers':
      if (!registeredAt) return { enabled: false, reason: 'seller_not_registered' };
      return registeredAt.getTime() > state!.setAt.getTime() ? { enabled: true, reason: 'registered_after_flag' } : { enabled: false, reason: 'registered_before_flag' };
    case 'percentage':
      return bucketOf(flagKey, sellerId) < (state!.percentage ?? 0)
        ? { enabled: true, reason: 'in_rollout_percentage' }
        : { enabled: false, reason: 'outside_rollout_percentage' };
  }
}
