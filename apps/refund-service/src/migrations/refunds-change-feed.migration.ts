import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The change feed must not miss a row that commits late: a refund's `updated_at` is the database's
 * clock at the write (never the app's), so any transaction still open will write a time no earlier
 * than its own start, and the feed answers only changes older than the oldest open transaction.
 */
export class RefundsChangeFeed1765300000000 implements MigrationInterface {
  name = 'RefundsChangeFeed1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION refunds_changed_now() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- to the millisecond, as the API shows it: a client's cursor is then exactly a stored value
        NEW.updated_at := date_trunc('milliseconds', clock_timestamp());
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER refunds_changed_now BEFORE INSERT OR UPDATE ON refunds FOR EACH ROW EXECUTE FUNCTION refunds_changed_now()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER refunds_changed_now ON refunds`);
    await q.query(`DROP FUNCTION refunds_changed_now()`);
  }
}
