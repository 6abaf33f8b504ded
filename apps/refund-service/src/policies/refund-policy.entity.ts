import { Column, Entity, PrimaryColumn } from 'typeorm';

export type PolicyScope = 'product' | 'seller';

/** How a seller's refunds are decided: at once within the limits (`automatic`), or by the seller or support (`manual`). */
export const REVIEW_MODES = ['automatic', 'manual'] as const;
export type ReviewMode = (typeof REVIEW_MODES)[number];

/** A refund window in days for one product or one seller (0: no refunds). */
@Entity('refund_policies')
export class RefundPolicy {
  @PrimaryColumn('text')
  scope: PolicyScope;

  @PrimaryColumn('text', { name: 'scope_id' })
  scopeId: string;

  @Column('int', { name: 'window_days' })
  windowDays: number;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;

  /** a seller's review; null (never set) is `automatic` */
  @Column('text', { nullable: true })
  review: ReviewMode | null;
}
