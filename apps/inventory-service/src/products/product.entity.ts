import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { z } from 'zod';
import { isoTimeSchema as isoTime } from '@ebb/contracts';

/** A product a seller offers; its SKUs carry the stock. */
@Entity('products')
export class Product {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'seller_id' }) sellerId: string;
  @Column('text') title: string;
  @Column('text') description: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

/**
 * A product as `POST /v1/products` answers it (api-v1): the schema is the OpenAPI document's answer
 * and the type the code builds, so the two cannot differ.
 */
export const productViewSchema = z.strictObject({
  id: z.string(),
  sellerId: z.string(),
  title: z.string(),
  description: z.string(),
  createdAt: isoTime,
});
export type ProductView = z.infer<typeof productViewSchema>;

export const productView = (product: Product): ProductView => ({
  id: product.id,
  sellerId: product.sellerId,
  title: product.title,
  description: product.description,
  createdAt: product.createdAt.toISOString(),
});
