import { jobsMigrations } from '@ebb/jobs';
import { lockingMigrations } from '@ebb/locking';
import { inboxRenames } from '@ebb/messaging';
import { RefundPolicy } from '../policies/refund-policy.entity';
import { Refund } from '../refunds/refund.entity';
import { RefundPolicies1764300000100 } from './refund-policies.migration';
import { Refunds1764300000000 } from './refunds.migration';
import { RefundsGoods1765100000000 } from './refunds-goods.migration';
import { RefundsSystemCauses1765200000000 } from './refunds-system-causes.migration';
import { RefundsChangeFeed1765300000000 } from './refunds-change-feed.migration';
import { RefundsRestock1765000000000 } from './refunds-restock.migration';
import { RefundsUnannounced1765500000000 } from './refunds-unannounced.migration';
import { RefundsUpdatedAt1764900000000 } from './refunds-updated-at.migration';
import { RefundsVouchers1765600000000 } from './refunds-vouchers.migration';
import { RefundPolicyWindows1765712000000 } from './policy-windows.migration';
import { RefundsReviewAndTimers1766200000000 } from './refunds-review-and-timers.migration';
import { RefundsSellerReview1766400000000 } from './refunds-seller-review.migration';

// the inbox handlers named <service>.<verb>-<what>, as every other service names them
const InboxNames1765400000000 = inboxRenames('InboxNames1765400000000', {
  'refund-succeeded': 'refunds.settle-succeeded-refund',
  'refund-failed': 'refunds.settle-failed-refund',
});

/** refund-service's schema: the fencing tokens of @ebb/locking, then its own tables. */
export const refundMigrations: Function[] = [...lockingMigrations, Refunds1764300000000, RefundPolicies1764300000100, RefundsUpdatedAt1764900000000, RefundsRestock1765000000000, RefundsGoods1765100000000, RefundsSystemCauses1765200000000, RefundsChangeFeed1765300000000, InboxNames1765400000000, RefundsUnannounced1765500000000, RefundsVouchers1765600000000, RefundPolicyWindows1765712000000, ...jobsMigrations, RefundsReviewAndTimers1766200000000, RefundsSellerReview1766400000000];

export const refundEntities = [Refund, RefundPolicy];
