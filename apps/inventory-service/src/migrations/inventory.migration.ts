import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Products, stock per SKU, what each order holds and reserved, and the refunds already put back.
 * The stock CHECKs are the last word on "never oversell": a bug that slips past the row locks fails here.
 */
export class Inventory1764400000000 implements MigrationInterface {
  name = 'Inventory1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE products (
        id text PRIMARY KEY,
        seller_id text NOT NULL,
        title text NOT NULL,
        description text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE stock (
        sku text PRIMARY KEY,
        product_id text NOT NULL REFERENCES products (id),
        on_hand integer NOT NULL,
        reserved integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stock_on_hand_non_negative CHECK (on_hand >= 0),
        CONSTRAINT stock_reserved_non_negative CHECK (reserved >= 0),
        CONSTRAINT stock_reserved_within_on_hand CHECK (reserved <= on_hand)
      )`);
    await q.query('CREATE INDEX stock_product_id_idx ON stock (product_id)');
    // inventory's own view of an order: one row per order, locked to serialise the handlers of one order
    await q.query(`
      CREATE TABLE inventory_orders (
        order_id text PRIMARY KEY,
        status text NOT NULL CHECK (status IN ('reserved', 'reservation_failed', 'committed', 'cancelled')),
        total_amount bigint,
        currency text,
        failure_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE order_lines (
        order_id text NOT NULL REFERENCES inventory_orders (order_id),
        sku text NOT NULL,
        product_id text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        released_quantity integer NOT NULL DEFAULT 0,
        PRIMARY KEY (order_id, sku),
        CONSTRAINT order_lines_released_within_quantity CHECK (released_quantity >= 0 AND released_quantity <= quantity)
      )`);
    await q.query(`
      CREATE TABLE reservations (
        id text PRIMARY KEY,
        order_id text NOT NULL REFERENCES inventory_orders (order_id),
        sku text NOT NULL REFERENCES stock (sku),
        quantity integer NOT NULL CHECK (quantity > 0),
        status text NOT NULL CHECK (status IN ('active', 'committed', 'released')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT reservations_one_per_order_sku UNIQUE (order_id, sku)
      )`);
    await q.query(`
      CREATE TABLE applied_refunds (
        refund_id text PRIMARY KEY,
        order_id text NOT NULL REFERENCES inventory_orders (order_id),
        items jsonb NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE applied_refunds, reservations, order_lines, inventory_orders, stock, products');
  }
}

/**
 * What left with each order's shipment, and how much of that came back: a refund of goods that never
 * shipped puts back at most what is still here, a refund of returned goods at most what left and
 * has not come back already. Stock is never restocked for goods that left.
 */
export class InventoryShippedLines1764400000100 implements MigrationInterface {
  name = 'InventoryShippedLines1764400000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE order_lines ADD COLUMN shipped_quantity integer NOT NULL DEFAULT 0, ADD COLUMN returned_quantity integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE order_lines ADD CONSTRAINT order_lines_shipped_within_quantity CHECK (shipped_quantity >= 0 AND shipped_quantity + released_quantity <= quantity)`);
    await q.query(`ALTER TABLE order_lines ADD CONSTRAINT order_lines_returned_within_shipped CHECK (returned_quantity >= 0 AND returned_quantity <= shipped_quantity)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE order_lines DROP COLUMN shipped_quantity, DROP COLUMN returned_quantity`);
  }
}

/**
 * Sellers, registered beside their products (name, e-mail, locale for their mails), and the products of
 * one seller listed in pages (by seller, then id).
 */
export class InventorySellers1765712000000 implements MigrationInterface {
  name = 'InventorySellers1765712000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sellers (
        id text PRIMARY KEY,
        name text NOT NULL,
        email text NOT NULL,
        locale text NOT NULL CHECK (locale IN ('en', 'zh-CN')),
        registered_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX products_seller_id ON products (seller_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX products_seller_id`);
    await q.query(`DROP TABLE sellers`);
  }
}

/**
 * Units of a paid order's line that a stock count found missing (issue 13): refunded by the system,
 * never shipped, never counted as held again.
 */
export class InventoryShortLines1766300000000 implements MigrationInterface {
  name = 'InventoryShortLines1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE order_lines ADD COLUMN short_quantity integer NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE order_lines ADD CONSTRAINT order_lines_short_within_unshipped CHECK (short_quantity >= 0 AND shipped_quantity + released_quantity + short_quantity <= quantity)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE order_lines DROP COLUMN short_quantity`);
  }
}

export const inventoryMigrations = [Inventory1764400000000, InventoryShippedLines1764400000100, InventorySellers1765712000000, InventoryShortLines1766300000000];
