import { defineErrors } from '@ebb/http';

/** Every refusal refund-service answers beside the shared ones of @ebb/http. */
export enum RefundErrorCode {
  OrderNotFound = 'order_not_found',
  RefundNotFound = 'refund_not_found',
  RefundPolicyNotFound = 'refund_policy_not_found',
  OrderNotRefundable = 'order_not_refundable',
  AmountExceedsRefundable = 'amount_exceeds_refundable',
  QuantityExceedsOrdered = 'quantity_exceeds_ordered',
  RefundWindowExpired = 'refund_window_expired',
  InvalidRefundTransition = 'invalid_refund_transition',
  RefundInProgress = 'refund_in_progress',
  OrderServiceUnavailable = 'order_service_unavailable',
  LockUnavailable = 'lock_unavailable',
  PolicyConflict = 'policy_conflict',
  ProductNotFound = 'product_not_found',
  InventoryServiceUnavailable = 'inventory_service_unavailable',
  PolicyMigrationNotFound = 'policy_migration_not_found',
  PolicyMigrationInProgress = 'policy_migration_in_progress',
  InvalidMigrationTransition = 'invalid_migration_transition',
}

// exhaustive: a new code without a status does not compile
export const refundError = defineErrors<RefundErrorCode>({
  [RefundErrorCode.OrderNotFound]: 404,
  [RefundErrorCode.RefundNotFound]: 404,
  [RefundErrorCode.RefundPolicyNotFound]: 404,
  [RefundErrorCode.OrderNotRefundable]: 409,
  [RefundErrorCode.AmountExceedsRefundable]: 422,
  [RefundErrorCode.QuantityExceedsOrdered]: 422,
  [RefundErrorCode.RefundWindowExpired]: 422,
  [RefundErrorCode.InvalidRefundTransition]: 409,
  // temporary: a retry under the same Idempotency-Key runs again rather than receiving this answer forever
  [RefundErrorCode.RefundInProgress]: { status: 409, temporary: true },
  [RefundErrorCode.OrderServiceUnavailable]: { status: 503, temporary: true },
  [RefundErrorCode.LockUnavailable]: { status: 503, temporary: true },
  // a product window outside its seller's rules, or seller rules that a product window breaks
  [RefundErrorCode.PolicyConflict]: 409,
  [RefundErrorCode.ProductNotFound]: 404,
  [RefundErrorCode.InventoryServiceUnavailable]: { status: 503, temporary: true },
  [RefundErrorCode.PolicyMigrationNotFound]: 404,
  // one apply (or rollback) at a time: two would change the same products
  [RefundErrorCode.PolicyMigrationInProgress]: 409,
  [RefundErrorCode.InvalidMigrationTransition]: 409,
});
