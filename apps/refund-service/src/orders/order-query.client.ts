import type { OrderMessage } from '@ebb/contracts';
import { OrderNotFoundError, OrderQueryClient as SharedOrderQueryClient } from '@ebb/service';
import { RefundErrorCode, refundError } from '../refunds/refund-errors';

/** order-service's answers about an order, with its failures in refund-service's error vocabulary. */
export class OrderQueryClient extends SharedOrderQueryClient {
  /** The order; 404 `order_not_found` if order-service does not know it, 503 if it cannot answer in time. */
  override async getOrder(orderId: string): Promise<OrderMessage> {
    try {
      return await super.getOrder(orderId);
    } catch (error) {
      if (error instanceof OrderNotFoundError) throw refundError(RefundErrorCode.OrderNotFound, `Order ${orderId} was not found.`);
      throw refundError(RefundErrorCode.OrderServiceUnavailable, 'The order service did not answer; try again shortly.', {
        grpcStatus: (error as { grpcStatus?: string }).grpcStatus ?? 'UNKNOWN',
      });
    }
  }
}
