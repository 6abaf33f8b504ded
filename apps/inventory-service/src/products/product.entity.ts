import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A product a seller offers; its SKUs carry the stock. */
@Entity('products')
export class Product {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'seller_id' }) sellerId: string;
  @Column('text') title: string;
  @Column('text') description: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

export interface ProductView {
  id: string;
  sellerId: string;
  title: string;
  description: string;
  createdAt: string;
}

export const productView = (product: Product): ProductView => ({
  id: product.id,
  sellerId: product.sellerId,
  title: product.title,
  description: product.description,
  createdAt: product.createdAt.toISOString(),
});
