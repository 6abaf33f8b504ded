import { defineCall } from '@ebb/outbound';

/** One attempt of one provider refund, sent under the idempotency key `<refundId>:<attempt>` (ProviderRefundCalls makes it). */
export const ProviderRefundCall = defineCall<{ refundId: string; attempt: number }>('provider.refund');
