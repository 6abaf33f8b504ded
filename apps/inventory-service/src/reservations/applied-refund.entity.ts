import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A refund whose lines went back to stock: recorded so a refund is applied once whatever message carries it. */
@Entity('applied_refunds')
export class AppliedRefund {
  @PrimaryColumn('text', { name: 'refund_id' }) refundId: string;
  @Column('text', { name: 'order_id' }) orderId: string;
  @Column('jsonb') items: { sku: string; quantity: number }[];
  @Column('timestamptz', { name: 'applied_at' }) appliedAt: Date;
}
