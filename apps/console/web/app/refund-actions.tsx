// What support and admin do to one refund, shared by the detail page, the review queue and the
// returns page: each a typed call with its own Idempotency-Key (useAction).
import { answerOf } from '@ebb/api-client/browser';
import { useTranslation } from 'react-i18next';
import { useConsole } from './console-context';
import { useAction } from './use-action';

export type RefundDecision =
  | { kind: 'approve'; id: string; note?: string }
  | { kind: 'reject'; id: string; reason: string }
  | { kind: 'return_received'; id: string; note?: string }
  | { kind: 'inspection'; id: string; result: 'passed' | 'failed'; note?: string }
  | { kind: 'cancel'; id: string }
  | { kind: 'retry'; id: string };

/** Query keys a refund's change touches. */
export const REFUND_QUERIES = [['refunds'], ['refund'], ['review-queue'], ['returns'], ['home']] as const;

export function useRefundDecision() {
  const { t } = useTranslation();
  const { api } = useConsole();
  return useAction(
    (decision: RefundDecision, key: string) => {
      const refund = api('refund');
      const options = { params: { path: { id: decision.id }, header: { 'Idempotency-Key': key } } };
      switch (decision.kind) {
        case 'approve':
          return answerOf(refund.POST('/v1/refunds/{id}/approve', { ...options, body: decision.note ? { note: decision.note } : {} }));
        case 'reject':
          return answerOf(refund.POST('/v1/refunds/{id}/reject', { ...options, body: { reason: decision.reason } }));
        case 'return_received':
          return answerOf(refund.POST('/v1/refunds/{id}/return-received', { ...options, body: decision.note ? { note: decision.note } : {} }));
        case 'inspection':
          return answerOf(refund.POST('/v1/refunds/{id}/inspection', { ...options, body: { result: decision.result, ...(decision.note ? { note: decision.note } : {}) } }));
        case 'cancel':
          return answerOf(refund.POST('/v1/refunds/{id}/cancel', options));
        case 'retry':
          return answerOf(refund.POST('/v1/refunds/{id}/retry', options));
      }
    },
    { invalidate: REFUND_QUERIES, done: (refund) => t('actions.done', { id: refund.id, status: t(`status.${refund.status}`) }), failed: t('errors.refused') },
  );
}
