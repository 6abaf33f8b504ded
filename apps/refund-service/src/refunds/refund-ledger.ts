import type { EntityManager } from 'typeorm';
import { runStatement, statement } from '@ebb/persistence';
import { RefundErrorCode, refundError } from './refund-errors';

/** The order's refund ledger: what was captured and how much of it active and succeeded refunds hold. */
export interface RefundLedger {
  capturedAmount: number;
  committedAmount: number;
}

/**
 * Creates the order's ledger row if needed and locks it until the transaction ends: every refund
 * write on the order queues behind this row lock, whatever happened to the Redis lock. A larger
 * capture than recorded (order-service only ever adds to it) is taken over.
 */
const OPEN_LEDGER = statement(
  'refund-ledger-open',
  `INSERT INTO refund_ledgers (order_id, captured_amount) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING`,
);
const LOCK_LEDGER = statement('refund-ledger-lock', `SELECT captured_amount, committed_amount FROM refund_ledgers WHERE order_id = $1 FOR UPDATE`);
const RAISE_CAPTURED = statement('refund-ledger-captured', `UPDATE refund_ledgers SET captured_amount = $2, updated_at = now() WHERE order_id = $1`);
const ADJUST_COMMITTED = statement(
  'refund-ledger-adjust',
  `UPDATE refund_ledgers SET committed_amount = committed_amount + $2, updated_at = now() WHERE order_id = $1`,
);

export async function lockLedger(manager: EntityManager, orderId: string, capturedAmount?: number): Promise<RefundLedger> {
  if (capturedAmount !== undefined) {
    await runStatement(manager, OPEN_LEDGER, [orderId, String(capturedAmount)]);
  }
  const rows: { captured_amount: string; committed_amount: string }[] = await runStatement(manager, LOCK_LEDGER, [orderId]);
  if (rows.length === 0) throw new Error(`INVARIANT: order ${orderId} has refunds but no refund ledger`);
  const ledger = { capturedAmount: Number(rows[0].captured_amount), committedAmount: Number(rows[0].committed_amount) };
  if (capturedAmount !== undefined && capturedAmount > ledger.capturedAmount) {
    await runStatement(manager, RAISE_CAPTURED, [orderId, String(capturedAmount)]);
    ledger.capturedAmount = capturedAmount;
  }
  return ledger;
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
