import { Column, Entity, PrimaryColumn } from 'typeorm';
import { minorUnitsTransformer } from '@ebb/persistence';
import type { Locale, RefundInitiator, RefundReason } from '@ebb/contracts';
import type { RefundStatus } from './refund-state';

/** A refund window that had closed on a product of the refund, as support or admin overrode it. */
export interface OverriddenWindow {
  productId: string;
  windowDays: number;
  source: 'product' | 'seller' | 'default';
  expiredAt: string;
}

/** One entry of a refund's history: every transition writes one. */
export interface RefundHistoryEntry {
  status: RefundStatus;
  at: string;
  actor: string;
  note?: string;
  /** refunded outside its window: why (support's or admin's reason) and the windows that had closed */
  windowOverride?: { reason: string; windows: OverriddenWindow[] };
}

export interface RefundLine {
  sku: string;
  quantity: number;
}

/** The refund ledger a refund counts on: the order's, or a duplicate payment's own. */
export const ledgerKeyOf = (refund: Pick<Refund, 'orderId' | 'paymentId'>) => (refund.paymentId ? `payment:${refund.paymentId}` : refund.orderId);

/**
 * A refund request. It keeps what its events need from the order (customer, e-mail, currency,
 * whether it had shipped), so a transition never has to ask order-service again.
 */
@Entity('refunds')
export class Refund {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: 'order_id' })
  orderId: string;

  @Column('text', { name: 'customer_id' })
  customerId: string;

  @Column('text')
  email: string;

  @Column('text')
  status: RefundStatus;

  @Column('bigint', { transformer: minorUnitsTransformer })
  amount: number;

  @Column('text')
  currency: string;

  @Column('text')
  reason: RefundReason;

  @Column('text')
  initiator: RefundInitiator;

  @Column('jsonb', { nullable: true })
  items: RefundLine[] | null;

  @Column('boolean')
  shipped: boolean;

  /**
   * The goods the refund covers: the lines asked for, or for a refund of everything still refundable
   * every line not refunded yet; none for a refund of money only. Held back from shipping while an
   * unshipped refund is paid, and put back on hand when it succeeds.
   */
  @Column('jsonb', { default: () => `'[]'::jsonb` })
  goods: RefundLine[];

  /** the goods that came back (the whole parcel when stopped in transit; what support received of a return) */
  @Column('jsonb', { nullable: true })
  returned: RefundLine[] | null;

  /** the shipped goods came back (intercepted, or returned and passed inspection): restock on success */
  @Column('boolean', { default: false })
  restock: boolean;

  @Column('text', { nullable: true })
  note: string | null;

  /** the payment it pays back when that is not the order's own (a duplicate capture); null for the order's */
  @Column('text', { name: 'payment_id', nullable: true })
  paymentId: string | null;

  /** what made the system start it (`duplicate:<paymentId>`): one refund per cause */
  @Column('text', { nullable: true })
  cause: string | null;

  @Column('text', { name: 'provider_refund_id', nullable: true })
  providerRefundId: string | null;

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason: string | null;

  @Column('jsonb')
  history: RefundHistoryEntry[];

  /**
   * Steps taken that no event has told yet: a transaction that waits on a call it made (goods held
   * back from shipping) leaves them here, and the transaction that records the answer announces
   * them with its own step, in one event.
   */
  @Column('jsonb', { default: () => `'[]'::jsonb` })
  unannounced: RefundStatus[];

  /** the customer's language (the order's): mails and the customer's view speak it */
  @Column('text', { default: 'en' })
  locale: Locale;

  /** a seller's manual review: when the system approves it if nobody decided (null when a person must) */
  @Column('timestamptz', { name: 'auto_approve_at', nullable: true })
  autoApproveAt: Date | null;

  /** the order's seller, when the refund was asked for one (system refunds of a capture name none) */
  @Column('text', { name: 'seller_id', nullable: true })
  sellerId: string | null;

  /** its seller reviews it by hand: waiting in pending_review, it is the seller's to decide (and they are written to) */
  @Column('boolean', { name: 'seller_review', default: false })
  sellerReview: boolean;

  /** when it was still undecided at the end of REFUND_SLA_HOURS (counted once) */
  @Column('timestamptz', { name: 'sla_breached_at', nullable: true })
  slaBreachedAt: Date | null;

  /** the voucher's SHA-256 (hex) and its key in object storage, once stored (after the refund succeeded) */
  @Column({ type: 'text', name: 'voucher_sha256', nullable: true, update: false })
  voucherSha256: string | null;

  @Column({ type: 'text', name: 'voucher_key', nullable: true, update: false })
  voucherKey: string | null;

  @Column({ type: 'timestamptz', name: 'created_at', update: false })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
