import type { RefundPolicy } from './refund-policy.entity';

/** Where the window that applies comes from. */
export const POLICY_SOURCES = ['product', 'seller', 'default'] as const;
export type PolicySource = (typeof POLICY_SOURCES)[number];

/** The window of a product whose product and seller set none (architecture.md). */
export const DEFAULT_WINDOW_DAYS = 30;

/** The rule of its seller a product window breaks (`policy_conflict`'s `details.rule`). */
export type ConflictRule = 'min_window_days' | 'max_window_days' | 'allow_no_refunds';

/** What a seller states about its products' windows; null is "not stated". */
export type SellerRules = Pick<RefundPolicy, 'minWindowDays' | 'maxWindowDays' | 'allowNoRefunds'>;

export const NO_RULES: SellerRules = { minWindowDays: null, maxWindowDays: null, allowNoRefunds: null };

/**
 * The seller's rule a product window of `windowDays` breaks, if any: 0 where the seller does not
 * allow products without refunds, below its minimum, above its maximum (checked in that order). A
 * seller that allows products without refunds allows 0 below its minimum; one that does not say is
 * held to its minimum.
 */
export function brokenRule(windowDays: number, rules: SellerRules): ConflictRule | undefined {
  if (windowDays === 0 && rules.allowNoRefunds === false) return 'allow_no_refunds';
  const exempt = windowDays === 0 && rules.allowNoRefunds === true;
  if (!exempt && rules.minWindowDays !== null && windowDays < rules.minWindowDays) return 'min_window_days';
  if (rules.maxWindowDays !== null && windowDays > rules.maxWindowDays) return 'max_window_days';
  return undefined;
}
