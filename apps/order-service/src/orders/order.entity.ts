import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Locale } from '@ebb/contracts';
import { minorUnitsTransformer } from '@ebb/persistence';
import type { FulfillmentStatus, OrderStatus, PaymentStatus } from './order-state';

const money = { type: 'bigint' as const, transformer: minorUnitsTransformer };

@Entity('orders')
export class Order {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'customer_id' }) customerId: string;
  @Column('text') email: string;
  @Column('text', { name: 'seller_id' }) sellerId: string;
  @Column('char', { length: 3 }) currency: string;
  @Column({ ...money, name: 'shipping_amount' }) shippingAmount: number;
  @Column({ ...money, name: 'total_amount' }) totalAmount: number;
  @Column({ ...money, name: 'captured_amount' }) capturedAmount: number;
  @Column({ ...money, name: 'refunded_amount' }) refundedAmount: number;
  @Column('text') status: OrderStatus;
  @Column('text', { name: 'payment_status' }) paymentStatus: PaymentStatus;
  @Column('text', { name: 'fulfillment_status' }) fulfillmentStatus: FulfillmentStatus;
  @Column('text', { name: 'payment_id', nullable: true }) paymentId: string | null;
  @Column('timestamptz', { name: 'promised_ship_by', nullable: true }) promisedShipBy: Date | null;
  /** the customer's language: what they are told is written in it */
  @Column('text', { default: 'en' }) locale: Locale;
  /** when its promised shipping date passed with the order unshipped (the system refunds it, once) */
  @Column('timestamptz', { name: 'ship_deadline_missed_at', nullable: true }) shipDeadlineMissedAt: Date | null;
  @Column('text', { nullable: true }) carrier: string | null;
  @Column('text', { name: 'tracking_number', nullable: true }) trackingNumber: string | null;
  @Column('timestamptz', { name: 'shipped_at', nullable: true }) shippedAt: Date | null;
  @Column('timestamptz', { name: 'delivered_at', nullable: true }) deliveredAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}

@Entity('order_lines')
export class OrderLine {
  @PrimaryColumn('text', { name: 'order_id' }) orderId: string;
  @PrimaryColumn('int', { name: 'line_no' }) lineNo: number;
  @Column('text', { name: 'product_id' }) productId: string;
  @Column('text') sku: string;
  @Column('int') quantity: number;
  @Column({ ...money, name: 'unit_amount' }) unitAmount: number;
  /** units that left with the shipment */
  @Column('int', { name: 'shipped_quantity', default: 0 }) shippedQuantity: number;
  /** units of the shipment that came back (intercepted, or returned and refunded) */
  @Column('int', { name: 'returned_quantity', default: 0 }) returnedQuantity: number;
}

/** Where the system's refund of a duplicate payment stands. */
export const DUPLICATE_PAYMENT_STATUSES = ['refund_pending', 'refunded'] as const;

/** Money captured for the order beyond its one payment, and whether the system has paid it back. */
export interface DuplicatePayment {
  paymentId: string;
  amount: number;
  currency: string;
  status: (typeof DUPLICATE_PAYMENT_STATUSES)[number];
  refundId: string | null;
}

/** Why support should look at an order. */
export const SUPPORT_FLAG_KINDS = ['refunded_outside_ebb'] as const;

/** Something support should look at: a refund made at the provider outside Ebb (its dashboard). */
export interface SupportFlag {
  kind: (typeof SUPPORT_FLAG_KINDS)[number];
  refundId: string;
  amount: number;
  currency: string;
  note: string | null;
  flaggedAt: Date;
}

/** An order with its lines, as every reader needs it (and its duplicate payments and support flags, where read). */
export interface OrderWithLines {
  order: Order;
  lines: OrderLine[];
  duplicates?: DuplicatePayment[];
  flags?: SupportFlag[];
}

export const orderEntities = [Order, OrderLine];
