import { Column, Entity, PrimaryColumn } from 'typeorm';

export type PolicyScope = 'product' | 'seller';

/** How a seller's refunds are decided: at once within the limits (`automatic`), or by the seller or support (`manual`). */
export const REVIEW_MODES = ['automatic', 'manual'] as const;
export type ReviewMode = (typeof REVIEW_MODES)[number];

/**
 * A refund window in days for one product or one seller (0: no refunds). A seller's row may also
 * state the rules its products' windows must keep, and how its refunds are reviewed; a product's row
 * names the product's seller.
 */
@Entity('refund_policies')
export class RefundPolicy {
  @PrimaryColumn('text')
  scope: PolicyScope;

  @PrimaryColumn('text', { name: 'scope_id' })
  scopeId: string;

  @Column('int', { name: 'window_days' })
  windowDays: number;

  /** a product's seller (null on a seller's own row, and on product windows set before sellers were kept) */
  @Column('text', { name: 'seller_id', nullable: true })
  sellerId: string | null;

  /** a seller's rules for its products' windows; null: not stated */
  @Column('int', { name: 'min_window_days', nullable: true })
  minWindowDays: number | null;

  @Column('int', { name: 'max_window_days', nullable: true })
  maxWindowDays: number | null;

  /** false: no product of the seller may have a 0-day window; null: not stated (allowed) */
  @Column('boolean', { name: 'allow_no_refunds', nullable: true })
  allowNoRefunds: boolean | null;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;

  /** who set it (`admin:ops-1`); null for policies set before it was kept */
  @Column('text', { name: 'updated_by', nullable: true })
  updatedBy: string | null;

  /** a seller's review; null (never set) is `automatic` */
  @Column('text', { nullable: true })
  review: ReviewMode | null;
}
