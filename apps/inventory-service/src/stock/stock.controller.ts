import { Controller, Get, HttpCode, Inject, Post, Put } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { idSchema } from '@ebb/contracts';
import { Answers, Refuses, Roles, ZodBody, ZodParams } from '@ebb/http';
import { InventoryErrorCode, inventoryError } from '../inventory-errors';
import { Stock, type StockView, stockView, stockViewSchema } from './stock.entity';
import { type StockCount, countStock, stockCountAnswerSchema, stockCountSchema } from './stock-count';

const skuParams = z.object({ sku: idSchema });

export const putStockSchema = z.object({
  productId: idSchema,
  onHand: z
    .number({ error: 'must be a whole number of units' })
    .int('must be a whole number of units')
    .nonnegative('must not be negative')
    .max(2_147_483_647, 'is too large'),
});
type PutStock = z.infer<typeof putStockSchema>;

const FOREIGN_KEY_VIOLATION = '23503';

@Controller('v1/stock')
export class StockController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Sets what is on hand (a stock count). One statement creates or updates the row, and refuses to
   * go below what unpaid orders hold, so it cannot race a reservation.
   */
  @Put(':sku')
  @Answers({ 200: stockViewSchema })
  @Refuses(inventoryError, InventoryErrorCode.ProductNotFound, InventoryErrorCode.StockBelowReserved)
  @Roles('admin')
  async put(@ZodParams(skuParams) { sku }: { sku: string }, @ZodBody(putStockSchema) body: PutStock): Promise<StockView> {
    const [product]: unknown[] = await this.dataSource.query(`SELECT 1 FROM products WHERE id = $1`, [body.productId]);
    if (!product) throw this.productNotFound(body.productId);
    let rows: { sku: string; product_id: string; on_hand: number; reserved: number }[];
    try {
      rows = await this.dataSource.query(
        `INSERT INTO stock (sku, product_id, on_hand, reserved) VALUES ($1, $2, $3, 0)
         ON CONFLICT (sku) DO UPDATE SET product_id = EXCLUDED.product_id, on_hand = EXCLUDED.on_hand, updated_at = now()
           WHERE stock.reserved <= EXCLUDED.on_hand
         RETURNING sku, product_id, on_hand, reserved`,
        [sku, body.productId, body.onHand],
      );
    } catch (error) {
      // the product was deleted between the check and the write
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) throw this.productNotFound(body.productId);
      throw error;
    }
    const [row] = rows;
    if (!row) {
      const current = await this.dataSource.getRepository(Stock).findOneByOrFail({ sku });
      throw inventoryError(
        InventoryErrorCode.StockBelowReserved,
        `On-hand stock of ${sku} cannot go below the ${current.reserved} units reserved for orders.`,
        { sku, reserved: current.reserved, onHand: body.onHand },
      );
    }
    return stockView({ sku: row.sku, productId: row.product_id, onHand: row.on_hand, reserved: row.reserved });
  }

  /**
   * A count of the shelf (admin): paid orders are served first, the rest is on hand; paid units the
   * count found missing are refunded by the system (`out_of_stock`), newest orders first.
   */
  @Post(':sku/counts')
  @HttpCode(200)
  @Answers({ 200: stockCountAnswerSchema })
  @Refuses(inventoryError, InventoryErrorCode.SkuNotFound, InventoryErrorCode.StockBelowReserved)
  @Roles('admin')
  count(@ZodParams(skuParams) { sku }: { sku: string }, @ZodBody(stockCountSchema) body: StockCount) {
    return this.dataSource.transaction((manager) => countStock(manager, sku, body));
  }

  /** Any signed-in caller may see what is available (storefronts show it). */
  @Get(':sku')
  @Answers({ 200: stockViewSchema })
  @Refuses(inventoryError, InventoryErrorCode.SkuNotFound)
  async get(@ZodParams(skuParams) { sku }: { sku: string }): Promise<StockView> {
    const stock = await this.dataSource.getRepository(Stock).findOneBy({ sku });
    if (!stock) throw inventoryError(InventoryErrorCode.SkuNotFound, `No stock is recorded for SKU ${sku}.`, { sku });
    return stockView(stock);
  }

  private productNotFound(productId: string) {
    return inventoryError(InventoryErrorCode.ProductNotFound, `No product ${productId}; create it before its stock.`, { productId });
  }
}
