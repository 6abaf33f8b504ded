// The words of a refund every service shares: its statuses, reasons and initiators (api-v1).

export const REFUND_STATUSES = [
  'requested',
  'pending_review',
  'approved',
  'intercepting',
  'awaiting_return',
  'inspecting',
  'refunding',
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export const REFUND_REASONS = [
  'requested_by_customer',
  'damaged',
  'wrong_item',
  'not_as_described',
  'not_shipped_in_time',
  'out_of_stock',
  'price_error',
  'dispute',
  'goodwill',
  'other',
  // money captured twice: the system pays the second capture back
  'duplicate_payment',
] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

export const REFUND_INITIATORS = ['customer', 'system', 'support'] as const;
export type RefundInitiator = (typeof REFUND_INITIATORS)[number];
