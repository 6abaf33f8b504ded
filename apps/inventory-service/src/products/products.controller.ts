import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { idSchema, newId } from '@ebb/contracts';
import { Answers, Refuses, Roles, ZodBody, ZodQuery, decodeCursor, keysetPage, nextCursorSchema, pageQueryFields, recordIdempotentEffect } from '@ebb/http';
import { InventoryErrorCode, inventoryError } from '../inventory-errors';
import { Product, type ProductView, productView, productViewSchema } from './product.entity';

export const createProductSchema = z.object({
  id: idSchema.optional(),
  sellerId: idSchema,
  title: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters'),
  description: z.string().max(10_000, 'must be at most 10000 characters'),
});
type CreateProduct = z.infer<typeof createProductSchema>;

const idList = z
  .string()
  .transform((value) => value.split(',').map((id) => id.trim()).filter(Boolean))
  .pipe(z.array(idSchema).min(1, 'must name at least one product').max(200, 'must name at most 200 products'));
export const listProductsSchema = z.strictObject({
  sellerId: idSchema.optional(),
  /** comma-separated product ids: those products only (the ones that exist) */
  ids: idList.optional().describe('comma-separated product ids: those products only'),
  ...pageQueryFields(),
});
type ListProducts = z.output<typeof listProductsSchema>;
const productListSchema = z.strictObject({ items: z.array(productViewSchema), nextCursor: nextCursorSchema });

@Controller('v1/products')
export class ProductsController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** The catalogue in pages by id, of one seller or of all, or the products named (refund-service reads titles and sellers here). */
  @Get()
  @Answers({ 200: productListSchema })
  @Roles('admin', 'support', 'service')
  async list(@ZodQuery(listProductsSchema) query: ListProducts): Promise<z.infer<typeof productListSchema>> {
    const [after] = query.cursor ? (decodeCursor(query.cursor, ['string']) as string[]) : [null];
    const rows = await this.dataSource.getRepository(Product).query(
      `SELECT id, seller_id AS "sellerId", title, description, created_at AS "createdAt" FROM products
        WHERE ($1::text IS NULL OR seller_id = $1) AND ($2::text[] IS NULL OR id = ANY($2)) AND ($3::text IS NULL OR id > $3)
        ORDER BY id LIMIT $4`,
      [query.sellerId ?? null, query.ids ?? null, after, query.limit + 1],
    );
    return keysetPage(rows as Product[], query.limit, productView, (product) => [product.id]);
  }

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
