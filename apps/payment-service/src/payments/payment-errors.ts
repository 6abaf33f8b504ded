import { defineErrors } from '@ebb/http';

/** Every refusal payment-service answers itself; the shared ones (validation, auth) come from @ebb/http. */
export enum PaymentErrorCode {
  OrderNotFound = 'order_not_found',
  PaymentNotFound = 'payment_not_found',
  /** paid, cancelled, or nothing to pay (`details.reason`) */
  OrderNotPayable = 'order_not_payable',
  ProviderNotSupported = 'provider_not_supported',
  InvalidSignature = 'invalid_signature',
  /** signed, but not an event the provider sends */
  InvalidWebhookEvent = 'invalid_webhook_event',
  ProviderUnavailable = 'provider_unavailable',
  ProviderRefused = 'provider_refused',
  OrderServiceUnavailable = 'order_service_unavailable',
  ProviderRefundNotFound = 'provider_refund_not_found',
  ProviderRefundNotUnknown = 'provider_refund_not_unknown',
  ReconciliationNotFound = 'reconciliation_not_found',
  DifferenceNotFound = 'reconciliation_difference_not_found',
  /** a difference already repaired or resolved */
  DifferenceNotOpen = 'reconciliation_difference_not_open',
}

// exhaustive: a new code without a status does not compile
export const paymentError = defineErrors<PaymentErrorCode>({
  [PaymentErrorCode.OrderNotFound]: 404,
  [PaymentErrorCode.PaymentNotFound]: 404,
  [PaymentErrorCode.OrderNotPayable]: 409,
  [PaymentErrorCode.ProviderNotSupported]: 422,
  [PaymentErrorCode.InvalidSignature]: 400,
  [PaymentErrorCode.InvalidWebhookEvent]: 400,
  // the same request may pass once the provider answers again
  [PaymentErrorCode.ProviderUnavailable]: { status: 502, temporary: true },
  [PaymentErrorCode.ProviderRefused]: 502,
  [PaymentErrorCode.OrderServiceUnavailable]: { status: 503, temporary: true },
  [PaymentErrorCode.ProviderRefundNotFound]: 404,
  [PaymentErrorCode.ProviderRefundNotUnknown]: 409,
  [PaymentErrorCode.ReconciliationNotFound]: 404,
  [PaymentErrorCode.DifferenceNotFound]: 404,
  [PaymentErrorCode.DifferenceNotOpen]: 409,
});
