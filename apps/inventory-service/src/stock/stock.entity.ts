import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { z } from 'zod';

/** Units of one SKU: `onHand` in the warehouse, `reserved` of them promised to unpaid orders. */
@Entity('stock')
export class Stock {
  @PrimaryColumn('text') sku: string;
  @Column('text', { name: 'product_id' }) productId: string;
  @Column('integer', { name: 'on_hand' }) onHand: number;
  @Column('integer') reserved: number;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}

/**
 * One SKU's stock as `PUT` and `GET /v1/stock/:sku` answer it (api-v1): the schema is the OpenAPI
 * document's answer and the type the code builds, so the two cannot differ.
 */
export const stockViewSchema = z.strictObject({
  sku: z.string(),
  productId: z.string(),
  onHand: z.number().int().describe('units in the warehouse'),
  reserved: z.number().int().describe('units of them promised to unpaid orders'),
  available: z.number().int().describe('onHand less reserved'),
});
export type StockView = z.infer<typeof stockViewSchema>;

export const stockView = (stock: Pick<Stock, 'sku' | 'productId' | 'onHand' | 'reserved'>): StockView => ({
  sku: stock.sku,
  productId: stock.productId,
  onHand: stock.onHand,
  reserved: stock.reserved,
  available: stock.onHand - stock.reserved,
});
