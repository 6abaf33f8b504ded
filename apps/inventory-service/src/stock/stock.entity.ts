import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Units of one SKU: `onHand` in the warehouse, `reserved` of them promised to unpaid orders. */
@Entity('stock')
export class Stock {
  @PrimaryColumn('text') sku: string;
  @Column('text', { name: 'product_id' }) productId: string;
  @Column('integer', { name: 'on_hand' }) onHand: number;
  @Column('integer') reserved: number;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

export interface StockView {
  sku: string;
  productId: string;
  onHand: number;
  reserved: number;
  available: number;
}

export const stockView = (stock: Pick<Stock, 'sku' | 'productId' | 'onHand' | 'reserved'>): StockView => ({
  sku: stock.sku,
  productId: stock.productId,
  onHand: stock.onHand,
  reserved: stock.reserved,
  available: stock.onHand - stock.reserved,
});
