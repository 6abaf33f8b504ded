import { defineErrors } from '@ebb/http';

/** order-service's refusals (the shared ones, like validation_error, come from @ebb/http). */
export enum OrderErrorCode {
  NotFound = 'order_not_found',
  NotShippable = 'order_not_shippable',
  NotDeliverable = 'order_not_deliverable',
  /** goods of the order are held for a refund being paid */
  RefundInProgress = 'order_refund_in_progress',
  /** nothing captured and not yet refunded: nothing the system could pay back */
  NotRefundable = 'order_not_refundable',
  /** a customer acting for another customer */
  Forbidden = 'forbidden',
}

// naming the enum makes the map exhaustive: a new code without a status does not compile
export const orderError = defineErrors<OrderErrorCode>({
  [OrderErrorCode.NotFound]: 404,
  [OrderErrorCode.NotShippable]: 409,
  [OrderErrorCode.NotDeliverable]: 409,
  [OrderErrorCode.RefundInProgress]: 409,
  [OrderErrorCode.NotRefundable]: 409,
  [OrderErrorCode.Forbidden]: 403,
});
