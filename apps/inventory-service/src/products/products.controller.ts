import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { idSchema, newId } from '@ebb/contracts';
import { Answers, Refuses, Roles, ZodBody, recordIdempotentEffect } from '@ebb/http';
import { InventoryErrorCode, inventoryError } from '../inventory-errors';
import { Product, type ProductView, productView, productViewSchema } from './product.entity';

export const createProductSchema = z.object({
  id: idSchema.optional(),
  sellerId: idSchema,
  title: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
  description: z.string().max(10_000, 'must be at most 10000 characters'),
});
type CreateProduct = z.infer<typeof createProductSchema>;

@Controller('v1/products')
export class ProductsController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Catalogue entries come from operators and from other services (a shop's import), never from customers. */
  @Post()
  @HttpCode(201)
  @Answers({ 201: productViewSchema })
  @Refuses(inventoryError, InventoryErrorCode.ProductExists)
  @Roles('admin', 'service')
  async create(@ZodBody(createProductSchema) body: CreateProduct): Promise<ProductView> {
    const id = body.id ?? newId('prd');
    return this.dataSource.transaction(async (manager) => {
      const [row]: Record<string, unknown>[] = await manager.query(
        `INSERT INTO products (id, seller_id, title, description) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO NOTHING RETURNING id, seller_id, title, description, created_at`,
        [id, body.sellerId, body.title, body.description],
      );
      if (!row) throw inventoryError(InventoryErrorCode.ProductExists, `A product with id ${id} already exists.`, { id });
      const view = productView(
        Object.assign(new Product(), { id: row.id, sellerId: row.seller_id, title: row.title, description: row.description, createdAt: row.created_at }),
      );
      // the key is tied to the product in its own commit, with the answer
      await recordIdempotentEffect(manager, `product:${view.id}`, view);
      return view;
    });
  }
}
