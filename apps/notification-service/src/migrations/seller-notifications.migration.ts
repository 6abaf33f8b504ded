import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Mails to sellers beside those to customers: a small directory of sellers (e-mail and locale, kept
 * from inventory.seller_updated), and notifications that name a seller instead of an order and customer.
 */
export class NotificationsSellers1765712000000 implements MigrationInterface {
  name = 'NotificationsSellers1765712000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sellers (
        seller_id text PRIMARY KEY,
        name text NOT NULL,
        email text NOT NULL,
        locale text NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`ALTER TABLE notifications ALTER COLUMN order_id DROP NOT NULL, ALTER COLUMN customer_id DROP NOT NULL, ADD COLUMN seller_id text`);
    // every notification is about an order (and its customer) or written to a seller
    await q.query(`ALTER TABLE notifications ADD CONSTRAINT notifications_order_or_seller CHECK ((order_id IS NOT NULL AND customer_id IS NOT NULL) OR seller_id IS NOT NULL)`);
    await q.query(`CREATE INDEX notifications_seller ON notifications (seller_id, created_at) WHERE seller_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX notifications_seller`);
    await q.query(`ALTER TABLE notifications DROP CONSTRAINT notifications_order_or_seller`);
    await q.query(`DELETE FROM notifications WHERE order_id IS NULL`);
    await q.query(`ALTER TABLE notifications DROP COLUMN seller_id, ALTER COLUMN order_id SET NOT NULL, ALTER COLUMN customer_id SET NOT NULL`);
    await q.query(`DROP TABLE sellers`);
  }
}
