import type { EntityManager } from 'typeorm';
import { runStatement, statement } from '@ebb/persistence';
import { RefundErrorCode, refundError } from './refund-errors';

/** The order's refund ledger: what was captured and how much of it active and succeeded refunds hold. */
export interface RefundLedger {
  capturedAmount: number;
  committedAmount: number;
}

const LOCK_LEDGER = statement('refund-ledger-lock', `SELECT captured_amount, committed_amount FROM refund_ledgers WHERE order_id = $1 FOR UPDATE`);
// created with what was captured, or written with the larger capture (order-service only ever adds to
// it): one statement that also locks the row, as ON CONFLICT DO UPDATE does, and answers it
const OPEN_LEDGER = statement(
  'refund-ledger-open',
  `INSERT INTO refund_ledgers (order_id, captured_amount) VALUES ($1, $2)
   ON CONFLICT (order_id) DO UPDATE SET captured_amount = GREATEST(refund_ledgers.captured_amount, EXCLUDED.captured_amount),
          updated_at = CASE WHEN EXCLUDED.captured_amount > refund_ledgers.captured_amount THEN now() ELSE refund_ledgers.updated_at END
   RETURNING captured_amount, committed_amount`,
);
const ADJUST_COMMITTED = statement(
  'refund-ledger-adjust',
  `UPDATE refund_ledgers SET committed_amount = committed_amount + $2, updated_at = now() WHERE order_id = $1`,
);

/**
 * Locks the order's ledger until the transaction ends: every refund write on the order queues behind
 * this row lock, whatever happened to the Redis lock. Given what the order captured (a new refund),
 * it creates the row if needed and takes over a larger capture than recorded.
 */
export async function lockLedger(manager: EntityManager, orderId: string, capturedAmount?: number): Promise<RefundLedger> {
  const rows: { captured_amount: string; committed_amount: string }[] =
    capturedAmount === undefined ? await runStatement(manager, LOCK_LEDGER, [orderId]) : await runStatement(manager, OPEN_LEDGER, [orderId, String(capturedAmount)]);
  if (rows.length === 0) throw new Error(`INVARIANT: order ${orderId} has refunds but no refund ledger`);
  return { capturedAmount: Number(rows[0].captured_amount), committedAmount: Number(rows[0].committed_amount) };
}

/**
 * Adds (positive) or gives back (negative) an amount. The CHECK constraint refuses a commitment
 * beyond the capture even if every check before it was wrong: that refusal is 422.
 */
export async function adjustCommitted(manager: EntityManager, orderId: string, delta: number): Promise<void> {
  try {
    await runStatement(manager, ADJUST_COMMITTED, [orderId, String(delta)]);
  } catch (error) {
    // 23514 check_violation; the transaction rolls back as the refusal propagates
    if ((error as { code?: string }).code !== '23514') throw error;
    throw refundError(RefundErrorCode.AmountExceedsRefundable, 'The amount exceeds what is still refundable on this order.', { amount: delta });
  }
}
