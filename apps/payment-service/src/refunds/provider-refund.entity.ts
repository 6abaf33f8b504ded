import { Column, Entity, PrimaryColumn } from 'typeorm';
import { minorUnitsTransformer } from '@ebb/persistence';
import type { ProviderRefundStatus } from './provider-refund-state';

/** One refund as sent to the provider, keyed by refund-service's refund id. */
@Entity('provider_refunds')
export class ProviderRefund {
  @PrimaryColumn('text', { name: 'refund_id' })
  refundId: string;

  @Column('text', { name: 'payment_id', nullable: true })
  paymentId: string | null;

  @Column('text', { name: 'order_id' })
  orderId: string;

  @Column('text')
  provider: string;

  @Column('bigint', { transformer: minorUnitsTransformer })
  amount: number;

  @Column('char', { length: 3 })
  currency: string;

  @Column('int')
  attempt: number;

  @Column('text')
  status: ProviderRefundStatus;

  @Column('text', { name: 'provider_refund_id', nullable: true })
  providerRefundId: string | null;

  /** `ebb`: sent by Ebb; `provider`: made at the provider outside Ebb (its dashboard), recorded when seen */
  @Column('text', { default: 'ebb' })
  origin: 'ebb' | 'provider';

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason: string | null;

  @Column('timestamptz', { name: 'claimed_at', nullable: true })
  claimedAt: Date | null;

  @Column('timestamptz', { name: 'synced_at', nullable: true })
  syncedAt: Date | null;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()', update: false })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}
