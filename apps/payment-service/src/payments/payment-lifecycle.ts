import type { EntityManager } from 'typeorm';
import { writeBack } from '@ebb/persistence';
import type { Payment } from './payment.entity';
import { type PaymentAction, paymentMachine } from './payment-state';

/**
 * The only way a payment's status changes: the machine decides (IllegalTransitionError when the
 * status does not allow the action), and a history entry with the actor is written with the row, in
 * the caller's transaction. `change` sets what else the transition records.
 */
export async function applyPaymentAction(
  manager: EntityManager,
  payment: Payment,
  action: PaymentAction,
  actor: string,
  options: { note?: string; change?: (payment: Payment) => void } = {},
): Promise<void> {
  payment.status = paymentMachine.transition(payment.status, action);
  options.change?.(payment);
  payment.updatedAt = new Date();
  await writeBack(manager, payment);
  await recordPaymentHistory(manager, payment, action, actor, options.note);
}

/** One line of a payment's history (its creation too, as `create`). */
export async function recordPaymentHistory(manager: EntityManager, payment: Payment, action: PaymentAction | 'create', actor: string, note?: string) {
  await manager.query(`INSERT INTO payment_history (payment_id, action, status, actor, note) VALUES ($1, $2, $3, $4, $5)`, [
    payment.id,
    action,
    payment.status,
    actor,
    note ?? null,
  ]);
}
