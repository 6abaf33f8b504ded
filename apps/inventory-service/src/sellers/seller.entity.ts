import { Column, Entity, PrimaryColumn } from 'typeorm';
import { z } from 'zod';
import { LOCALES, type Locale, isoTimeSchema as isoTime } from '@ebb/contracts';

/** A seller of the marketplace: who to write to about its products, and in which language. */
@Entity('sellers')
export class Seller {
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text') email: string;
  @Column('text') locale: Locale;
  /** when it was first registered here; never changes */
  @Column('timestamptz', { name: 'registered_at' }) registeredAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

/** A seller as `PUT` and `GET /v1/sellers/:sellerId` answer it. */
export const sellerViewSchema = z.strictObject({
  sellerId: z.string(),
  name: z.string(),
  email: z.string(),
  locale: z.enum(LOCALES),
  registeredAt: isoTime,
  updatedAt: isoTime,
});
export type SellerView = z.infer<typeof sellerViewSchema>;

export const sellerView = (seller: Seller): SellerView => ({
  sellerId: seller.id,
  name: seller.name,
  email: seller.email,
  locale: seller.locale,
  registeredAt: seller.registeredAt.toISOString(),
  updatedAt: seller.updatedAt.toISOString(),
});
