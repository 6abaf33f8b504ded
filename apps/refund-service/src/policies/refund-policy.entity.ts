import { Column, Entity, PrimaryColumn } from 'typeorm';

export type PolicyScope = 'product' | 'seller';

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
}
