import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ORDER_QUERY_PROTO, type OrderMessage, PROTO_LOADER_OPTIONS } from '@ebb/contracts';

/**
 * order-service's OrderQuery as a test defines it, for testing one service without booting
 * order-service: GetOrder answers the orders in `orders` (read at each call), NOT_FOUND otherwise.
 */
export async function startOrderQueryServer(orders: Map<string, OrderMessage>): Promise<{ url: string; close(): Promise<void> }> {
  const definition = protoLoader.loadSync(ORDER_QUERY_PROTO, PROTO_LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    ebb: { order: { v1: { OrderQuery: { service: grpc.ServiceDefinition } } } };
  };
  const server = new grpc.Server();
  server.addService(loaded.ebb.order.v1.OrderQuery.service, {
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
