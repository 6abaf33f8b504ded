import { Controller, Get, Inject, Put } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { LOCALES, SellerUpdated, idSchema } from '@ebb/contracts';
import { Answers, Refuses, Roles, ZodBody, ZodParams } from '@ebb/http';
import { addToOutbox } from '@ebb/messaging';
import { InventoryErrorCode, inventoryError } from '../inventory-errors';
import { Seller, type SellerView, sellerView, sellerViewSchema } from './seller.entity';

const sellerParams = z.strictObject({ sellerId: idSchema });
export const putSellerSchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  email: z.email({ error: 'must be an e-mail address' }).max(254, 'must be at most 254 characters'),
  /** the language of the seller's mails; English unless given */
  locale: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }).default('en'),
});
type PutSeller = z.output<typeof putSellerSchema>;

/**
 * Sellers, beside their products (admin): registered or changed with one PUT, each change published
 * as `inventory.seller_updated` in its own transaction (outbox), so refund-service and
 * notification-service keep what they need of it.
 */
@Controller('v1/sellers')
@Roles('admin')
export class SellersController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  @Put(':sellerId')
  @Answers({ 200: sellerViewSchema })
  async put(@ZodParams(sellerParams) { sellerId }: { sellerId: string }, @ZodBody(putSellerSchema) body: PutSeller): Promise<SellerView> {
    return this.dataSource.transaction(async (manager) => {
      // registered_at is set once, at the first PUT; updated_at is the database's clock, so consumers can keep the newest
      const [row]: { id: string; name: string; email: string; locale: Seller['locale']; registered_at: Date; updated_at: Date }[] = await manager.query(
        `INSERT INTO sellers (id, name, email, locale, registered_at, updated_at) VALUES ($1, $2, $3, $4, clock_timestamp(), clock_timestamp())
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, locale = EXCLUDED.locale,
           updated_at = greatest(clock_timestamp(), sellers.updated_at + interval '1 microsecond')
         RETURNING id, name, email, locale, registered_at, updated_at`,
        [sellerId, body.name, body.email, body.locale],
      );
      const view = sellerView(Object.assign(new Seller(), { id: row.id, name: row.name, email: row.email, locale: row.locale, registeredAt: row.registered_at, updatedAt: row.updated_at }));
      const { sellerId: id, ...rest } = view;
      await addToOutbox(manager, SellerUpdated, { sellerId: id, ...rest });
      return view;
    });
  }

  @Get(':sellerId')
  @Answers({ 200: sellerViewSchema })
  @Refuses(inventoryError, InventoryErrorCode.SellerNotFound)
  async get(@ZodParams(sellerParams) { sellerId }: { sellerId: string }): Promise<SellerView> {
    const seller = await this.dataSource.getRepository(Seller).findOneBy({ id: sellerId });
    if (!seller) throw inventoryError(InventoryErrorCode.SellerNotFound, `No seller ${sellerId} is registered.`, { sellerId });
    return sellerView(seller);
  }
}
