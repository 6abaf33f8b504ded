import * as grpc from '@grpc/grpc-js';
import type { GoodsLine, HoldGoodsAnswer, OrderMessage, SellerSaleMessage } from '@ebb/contracts';
import { orderQueryService } from '@ebb/service';

/** What the test's OrderQuery server was asked to hold, by refund id. */
export type HeldGoods = Map<string, { orderId: string; items: GoodsLine[]; held: boolean }>;

/**
 * order-service's OrderQuery as a test defines it, for testing one service without booting
 * order-service: GetOrder answers the orders in `orders` (read at each call), NOT_FOUND otherwise;
 * HoldGoodsForRefund holds the goods of an order that has not shipped (recorded in `held`), as
 * order-service does, and answers the same again for the same refund; LastSales answers the latest
 * captured order of each seller asked about.
 */
export async function startOrderQueryServer(
  orders: Map<string, OrderMessage>,
): Promise<{ url: string; held: HeldGoods; failHolds(count: number): void; close(): Promise<void> }> {
  const held: HeldGoods = new Map();
  let failing = 0;
  const server = new grpc.Server();
  const notFound = (orderId: string) => ({ code: grpc.status.NOT_FOUND, details: `order ${orderId} not found` });
  server.addService(orderQueryService().service, {
    getOrder: (call: grpc.ServerUnaryCall<{ orderId: string }, OrderMessage>, callback: grpc.sendUnaryData<OrderMessage>) => {
      const order = orders.get(call.request.orderId);
      if (order) callback(null, order);
      else callback(notFound(call.request.orderId));
    },
    holdGoodsForRefund: (
      call: grpc.ServerUnaryCall<{ orderId: string; refundId: string; items: GoodsLine[] }, HoldGoodsAnswer>,
      callback: grpc.sendUnaryData<HoldGoodsAnswer>,
    ) => {
      if (failing > 0) {
        failing -= 1;
        return callback({ code: grpc.status.UNAVAILABLE, details: 'order-service is down (the test says so)' });
      }
      const { orderId, refundId, items } = call.request;
      const order = orders.get(orderId);
      if (!order) return callback(notFound(orderId));
      if (!held.has(refundId)) held.set(refundId, { orderId, items, held: order.fulfillmentStatus === 'unfulfilled' });
      callback(null, { held: held.get(refundId)!.held, order });
    },
    lastSales: (call: grpc.ServerUnaryCall<{ sellerIds: string[] }, { sales: SellerSaleMessage[] }>, callback: grpc.sendUnaryData<{ sales: SellerSaleMessage[] }>) => {
      // as order-service answers it: the purchase time of each seller's latest captured order
      const last = new Map<string, string>();
      for (const order of orders.values()) {
        if (!call.request.sellerIds.includes(order.sellerId) || !(order.capturedAmount > 0)) continue;
        const seen = last.get(order.sellerId);
        if (!seen || Date.parse(order.createdAt) > Date.parse(seen)) last.set(order.sellerId, order.createdAt);
      }
      callback(null, { sales: [...last].map(([sellerId, lastSaleAt]) => ({ sellerId, lastSaleAt })) });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    url: `127.0.0.1:${port}`,
    held,
    failHolds: (count: number) => {
      failing = count;
    },
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
