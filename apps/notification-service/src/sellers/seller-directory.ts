import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type Locale, SellerUpdated } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';

/** What notification-service knows of a seller: where and in which language to write. */
export interface SellerContact {
  sellerId: string;
  name: string;
  email: string;
  locale: Locale;
}

/** A seller's contact, or undefined when inventory.seller_updated has not told of it (yet). */
export async function sellerContact(manager: EntityManager, sellerId: string): Promise<SellerContact | undefined> {
  const [row]: { seller_id: string; name: string; email: string; locale: Locale }[] = await manager.query(
    `SELECT seller_id, name, email, locale FROM sellers WHERE seller_id = $1`,
    [sellerId],
  );
  return row && { sellerId: row.seller_id, name: row.name, email: row.email, locale: row.locale };
}

/**
 * The seller directory: each seller's name, e-mail and locale from inventory.seller_updated, the
 * newest kept (an update that arrives after a newer one changes nothing).
 */
@Injectable()
export class SellerDirectory implements OnModuleInit {
  constructor(private readonly consumer: MessageConsumer) {}

  onModuleInit(): void {
    this.consumer.on(SellerUpdated, 'notifications.keep-seller-contact', (message, manager) => this.keep(message, manager));
  }

  private async keep({ payload: seller }: IncomingMessage<SellerUpdated>, manager: EntityManager): Promise<void> {
    await manager.query(
      `INSERT INTO sellers (seller_id, name, email, locale, updated_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (seller_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, locale = EXCLUDED.locale, updated_at = EXCLUDED.updated_at
         WHERE sellers.updated_at < EXCLUDED.updated_at`,
      [seller.sellerId, seller.name, seller.email, seller.locale, seller.updatedAt],
    );
  }
}
