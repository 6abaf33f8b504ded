import path from 'node:path';

/** Where the OrderQuery service definition lives (load it with @grpc/proto-loader). */
export const ORDER_QUERY_PROTO = path.join(__dirname, 'proto', 'order-query.proto');
export const ORDER_QUERY_PACKAGE = 'ebb.order.v1';

/** Options that keep int64 money exact (as numbers: minor units stay far below 2^53) and enums as strings. */
export const PROTO_LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true } as const;

export interface OrderLineMessage {
  productId: string;
  sku: string;
  quantity: number;
  unitAmount: number;
  /** units that left with the shipment */
  shippedQuantity: number;
}

/** A quantity of one SKU (refunded, held, shipped or returned goods). */
export interface GoodsLine {
  sku: string;
  quantity: number;
}

/** OrderQuery.HoldGoodsForRefund's answer: held, or not because the order shipped meanwhile. */
export interface HoldGoodsAnswer {
  held: boolean;
  order: OrderMessage;
}

/** OrderQuery.LastSales: when a seller last sold (ISO 8601). */
export interface SellerSaleMessage {
  sellerId: string;
  lastSaleAt: string;
}

/** The most sellers one OrderQuery.LastSales call may ask about. */
export const LAST_SALES_MAX_SELLERS = 1000;

/** An order as OrderQuery.GetOrder answers it (camelCase, as proto-loader gives it). */
export interface OrderMessage {
  id: string;
  customerId: string;
  email: string;
  sellerId: string;
  currency: string;
  items: OrderLineMessage[];
  shippingAmount: number;
  totalAmount: number;
  capturedAmount: number;
  refundedAmount: number;
  status: string;
  paymentStatus: string;
  fulfillmentStatus: string;
  paymentId: string;
  createdAt: string;
  shippedAt: string;
  deliveredAt: string;
  /** empty until the order ships */
  carrier: string;
  trackingNumber: string;
  /** the customer's language (`en`, `zh-CN`); empty from an order-service before locales: `en` */
  locale: string;
  /** when the order was promised to ship (ISO 8601), empty when no promise was made */
  promisedShipBy: string;
}

/** Default ports of api-v1.md, and order-service's gRPC port. */
export const DEFAULT_PORTS = {
  order: 3001,
  payment: 3002,
  refund: 3003,
  inventory: 3004,
  notification: 3005,
  sandbox: 4010,
  orderGrpc: 50051,
  sandboxSmtp: 2525,
} as const;
