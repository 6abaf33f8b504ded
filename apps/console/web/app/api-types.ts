// The answers the pages show, named from the generated types of the public API's document (SuccessBody:
// a route's success answer, as the typed client reads it).
import { REFUND_STATUSES as STATUSES, type SuccessBody } from '@ebb/api-client/browser';

export type RefundList = SuccessBody<'/v1/refunds', 'get'>;
export type RefundItem = RefundList['items'][number];
export type RefundStatus = RefundItem['status'];
export type Refund = SuccessBody<'/v1/refunds/{id}', 'get'>;
export type DeadLetterList = SuccessBody<'/v1/admin/dead-letters', 'get'>;
export type DeadLetter = DeadLetterList['items'][number];
export type ProviderRefundList = SuccessBody<'/v1/admin/provider-refunds', 'get'>;
export type ProviderRefund = ProviderRefundList['items'][number];
export type ProviderRefundStatus = ProviderRefund['status'];
export type NotificationList = SuccessBody<'/v1/notifications', 'get'>;
export type AuditList = SuccessBody<'/v1/admin/audit', 'get'>;
export type Order = SuccessBody<'/v1/orders/{id}', 'get'>;
export type OrderRefunds = SuccessBody<'/v1/orders/{orderId}/refunds', 'get'>;

/** Every refund status, in the order of the lifecycle (the API's own list). */
export const REFUND_STATUSES: readonly RefundStatus[] = STATUSES;
export const PROVIDER_REFUND_STATUSES: ProviderRefundStatus[] = ['outcome_unknown', 'requested', 'pending', 'succeeded', 'failed'];

export type ProductPolicy = SuccessBody<'/v1/refund-policies/products/{productId}', 'get'>;
export type SellerPolicy = SuccessBody<'/v1/refund-policies/sellers/{sellerId}', 'get'>;
export type PolicyChangeList = SuccessBody<'/v1/refund-policies/changes', 'get'>;
export type PolicyChange = PolicyChangeList['items'][number];
export type PolicyMigration = SuccessBody<'/v1/admin/policy-migrations/{id}', 'get'>;
export type MigrationReportRow = PolicyMigration['report'][number];
export type RolloutFlag = SuccessBody<'/v1/admin/flags/per-product-policies', 'get'>;
export type RolloutMode = RolloutFlag['mode'];
export type Reconciliation = SuccessBody<'/v1/admin/reconciliations/{id}', 'get'>;
export type ReconciliationDifference = Reconciliation['differences'][number];
export type DifferenceKind = ReconciliationDifference['kind'];
export type DifferenceResolution = ReconciliationDifference['resolution'];
export type PaymentProvider = ReconciliationDifference['provider'];

export const ROLLOUT_MODES: readonly RolloutMode[] = ['off', 'new_sellers', 'percentage', 'all'];
export const DIFFERENCE_KINDS: readonly DifferenceKind[] = ['missing_in_ebb', 'missing_at_provider', 'amount_mismatch', 'status_mismatch'];
export const DIFFERENCE_RESOLUTIONS: readonly DifferenceResolution[] = ['open', 'repaired', 'resolved'];
export const PAYMENT_PROVIDERS: readonly PaymentProvider[] = ['stripe', 'alipay', 'wechatpay'];
