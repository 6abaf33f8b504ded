import { Injectable, type OnModuleInit } from '@nestjs/common';
import { SellerUpdated } from '@ebb/contracts';
import { MessageConsumer } from '@ebb/messaging';

/**
 * What refund-service keeps of sellers (inventory.seller_updated): that they are registered, and
 * since when (the `new_sellers` rollout; a policy migration mails only registered sellers). The newest
 * update wins, whatever order they arrive in.
 */
@Injectable()
export class SellerRegistrations implements OnModuleInit {
  constructor(private readonly consumer: MessageConsumer) {}

  onModuleInit(): void {
    this.consumer.on(SellerUpdated, 'refunds.keep-seller-registration', async ({ payload }, manager) => {
      await manager.query(
        `INSERT INTO sellers (seller_id, registered_at, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (seller_id) DO UPDATE SET registered_at = EXCLUDED.registered_at, updated_at = EXCLUDED.updated_at
           WHERE sellers.updated_at < EXCLUDED.updated_at`,
        [payload.sellerId, payload.registeredAt, payload.updatedAt],
      );
    });
  }
}
