import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders, their lines, their history, and the refunds already applied to them. The database guards the money:
 * amounts are non-negative minor units and an order can never be refunded above what was captured.
 */
export class Orders1764100000000 implements MigrationInterface {
  name = 'Orders1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE orders (
        id text PRIMARY KEY,
        customer_id text NOT NULL,
        email text NOT NULL,
        seller_id text NOT NULL,
        currency char(3) NOT NULL,
        shipping_amount bigint NOT NULL CHECK (shipping_amount >= 0),
        total_amount bigint NOT NULL CHECK (total_amount >= 0),
        captured_amount bigint NOT NULL DEFAULT 0 CHECK (captured_amount >= 0),
        refunded_amount bigint NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
        status text NOT NULL CHECK (status IN ('pending_payment', 'open', 'completed', 'cancelled')),
        payment_status text NOT NULL CHECK (payment_status IN ('pending', 'captured', 'partially_refunded', 'refunded')),
        fulfillment_status text NOT NULL CHECK (fulfillment_status IN ('unfulfilled', 'shipped', 'delivered', 'returned')),
        payment_id text,
        promised_ship_by timestamptz,
        carrier text,
        tracking_number text,
        shipped_at timestamptz,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT orders_refunded_within_captured CHECK (refunded_amount <= captured_amount)
      )`);
    await queryRunner.query(`CREATE INDEX orders_customer_created ON orders (customer_id, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX orders_created ON orders (created_at DESC)`);
    await queryRunner.query(`
      CREATE TABLE order_lines (
        order_id text NOT NULL REFERENCES orders (id),
        line_no int NOT NULL,
        product_id text NOT NULL,
        sku text NOT NULL,
        quantity int NOT NULL CHECK (quantity > 0),
        unit_amount bigint NOT NULL CHECK (unit_amount >= 0),
        PRIMARY KEY (order_id, line_no),
        CONSTRAINT order_lines_one_line_per_sku UNIQUE (order_id, sku)
      )`);
    // a refund counts once, whatever message id it arrives under
    await queryRunner.query(`
      CREATE TABLE order_applied_refunds (
        refund_id text PRIMARY KEY,
        order_id text NOT NULL REFERENCES orders (id),
        amount bigint NOT NULL CHECK (amount >= 0),
        message_id text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX order_applied_refunds_order ON order_applied_refunds (order_id)`);
    // every move of the lifecycle machine, with the statuses it led to
    await queryRunner.query(`
      CREATE TABLE order_history (
        id bigserial PRIMARY KEY,
        order_id text NOT NULL REFERENCES orders (id),
        action text NOT NULL,
        status text NOT NULL,
        payment_status text NOT NULL,
        fulfillment_status text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX order_history_order ON order_history (order_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE order_history`);
    await queryRunner.query(`DROP TABLE order_applied_refunds`);
    await queryRunner.query(`DROP TABLE order_lines`);
    await queryRunner.query(`DROP TABLE orders`);
  }
}
