import { Column, Entity, PrimaryColumn } from 'typeorm';

/** What an order holds of one SKU (lines of the same SKU merged), and how much of it a refund put back. */
@Entity('order_lines')
export class OrderLine {
  @PrimaryColumn('text', { name: 'order_id' }) orderId: string;
  @PrimaryColumn('text') sku: string;
  @Column('text', { name: 'product_id' }) productId: string;
  @Column('integer') quantity: number;
  @Column('integer', { name: 'released_quantity' }) releasedQuantity: number;
}
