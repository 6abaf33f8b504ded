import { Column, Entity, PrimaryColumn } from 'typeorm';
import { minorUnitsTransformer } from '@ebb/persistence';

export type InventoryOrderStatus = 'reserved' | 'reservation_failed' | 'committed' | 'cancelled';

/** What inventory knows of an order; a cancellation seen before the order itself leaves a `cancelled` row. */
@Entity('inventory_orders')
export class InventoryOrder {
  @PrimaryColumn('text', { name: 'order_id' }) orderId: string;
  @Column('text') status: InventoryOrderStatus;
  @Column('bigint', { name: 'total_amount', nullable: true, transformer: minorUnitsTransformer }) totalAmount: number | null;
  @Column('text', { nullable: true }) currency: string | null;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
