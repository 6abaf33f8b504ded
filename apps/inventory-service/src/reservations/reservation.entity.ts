import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ReservationStatus = 'active' | 'committed' | 'released';

/** Units of one SKU held for one order: `active` until payment commits them or cancellation releases them. */
@Entity('reservations')
export class Reservation {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'order_id' }) orderId: string;
  @Column('text') sku: string;
  @Column('integer') quantity: number;
  @Column('text') status: ReservationStatus;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
