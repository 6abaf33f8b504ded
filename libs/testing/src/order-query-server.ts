import * as grpc from '@grpc/grpc-js';
import type { OrderMessage } from '@ebb/contracts';
import { orderQueryService } from '@ebb/service';

/**
 * order-service's OrderQuery as a test defines it, for testing one service without booting
 * order-service: GetOrder answers the orders in `orders` (read at each call), NOT_FOUND otherwise.
 */
export async function startOrderQueryServer(orders: Map<string, OrderMessage>): Promise<{ url: string; close(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(orderQueryService().service, {
    getOrder: (call: grpc.ServerUnaryCall<{ orderId: string }, OrderMessage>, callback: grpc.sendUnaryData<OrderMessage>) => {
      const order = orders.get(call.request.orderId);
      if (order) callback(null, order);
      else callback({ code: grpc.status.NOT_FOUND, details: `order ${call.request.orderId} not found` });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { url: `127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())) };
}
