// The answers the pages show, named from the generated types of the public API's document.
import { REFUND_STATUSES as STATUSES, type paths } from '@ebb/api-client/browser';

type Json<R> = R extends { content: { 'application/json': infer B } } ? B : never;
/** The body of a route's 200 answer. */
export type Answer<P extends keyof paths, M extends 'get' | 'post' | 'put'> = paths[P][M] extends { responses: { 200: infer R } } ? Json<R> : never;

export type RefundList = Answer<'/v1/refunds', 'get'>;
export type RefundItem = RefundList['items'][number];
export type RefundStatus = RefundItem['status'];
export type Refund = Answer<'/v1/refunds/{id}', 'get'>;
export type DeadLetterList = Answer<'/v1/admin/dead-letters', 'get'>;
export type DeadLetter = DeadLetterList['items'][number];
export type ProviderRefundList = Answer<'/v1/admin/provider-refunds', 'get'>;
export type ProviderRefund = ProviderRefundList['items'][number];
export type ProviderRefundStatus = ProviderRefund['status'];
export type NotificationList = Answer<'/v1/notifications', 'get'>;
export type AuditList = Answer<'/v1/admin/audit', 'get'>;
export type Order = Answer<'/v1/orders/{id}', 'get'>;
export type OrderRefunds = Answer<'/v1/orders/{orderId}/refunds', 'get'>;

/** Every refund status, in the order of the lifecycle (the API's own list). */
export const REFUND_STATUSES: readonly RefundStatus[] = STATUSES;
export const PROVIDER_REFUND_STATUSES: ProviderRefundStatus[] = ['outcome_unknown', 'requested', 'pending', 'succeeded', 'failed'];

export type ProductPolicy = Answer<'/v1/refund-policies/products/{productId}', 'get'>;
export type SellerPolicy = Answer<'/v1/refund-policies/sellers/{sellerId}', 'get'>;
export type PolicyChangeList = Answer<'/v1/refund-policies/changes', 'get'>;
export type PolicyChange = PolicyChangeList['items'][number];
export type PolicyMigration = Answer<'/v1/admin/policy-migrations/{id}', 'get'>;
export type MigrationReportRow = PolicyMigration['report'][number];
export type RolloutFlag = Answer<'/v1/admin/flags/per-product-policies', 'get'>;
export type RolloutMode = RolloutFlag['mode'];
export type Reconciliation = Answer<'/v1/admin/reconciliations/{id}', 'get'>;
export type ReconciliationDifference = Reconciliation['differences'][number];
export type DifferenceKind = ReconciliationDifference['kind'];
export type DifferenceResolution = ReconciliationDifference['resolution'];
export type PaymentProvider = ReconciliationDifference['provider'];

export const ROLLOUT_MODES: readonly RolloutMode[] = ['off', 'new_sellers', 'percentage', 'all'];
export const DIFFERENCE_KINDS: readonly DifferenceKind[] = ['missing_in_ebb', 'missing_at_provider', 'amount_mismatch', 'status_mismatch'];
export const DIFFERENCE_RESOLUTIONS: readonly DifferenceResolution[] = ['open', 'repaired', 'resolved'];
export const PAYMENT_PROVIDERS: readonly PaymentProvider[] = ['stripe', 'alipay', 'wechatpay'];
