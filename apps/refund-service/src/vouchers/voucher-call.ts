import { defineCall } from '@ebb/outbound';

/**
 * A succeeded refund's voucher made and stored (object storage), keyed by the refund id. Recorded in
 * the transaction that makes the refund succeed, made after it commits: storage that is down delays
 * the voucher, never the refund. Tuned by VOUCHER_STORE_* (VoucherStore registers it).
 */
export const StoreVoucher = defineCall<{ refundId: string }>('voucher.store');
