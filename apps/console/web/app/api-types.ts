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
