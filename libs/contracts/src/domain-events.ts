import { z } from 'zod';
import { currencySchema, minorUnitsSchema } from './money';
import { type EventType, defineEvent } from './events';
import { REFUND_INITIATORS, REFUND_REASONS, REFUND_STATUSES, type RefundStatus } from './refund-vocabulary';
import { LOCALES } from './locale';

// The payloads services exchange on the bus, checked when written to the outbox and when consumed.
// Amounts are integer minor units in the order's currency. Add fields freely; never remove or retype one.

const orderLine = z.object({
  productId: z.string(),
  sku: z.string(),
  quantity: z.number().int().positive(),
  unitAmount: minorUnitsSchema,
});
const refundLine = z.object({ sku: z.string(), quantity: z.number().int().positive() });
/** the customer's language, for what they are told; absent in events from before locales: `en` */
const locale = z.enum(LOCALES).optional();

export const OrderPlaced = defineEvent(
  'order.placed',
  z.object({
    orderId: z.string(),
    customerId: z.string(),
    email: z.string(),
    sellerId: z.string(),
    currency: currencySchema,
    items: z.array(orderLine),
    shippingAmount: minorUnitsSchema,
    totalAmount: minorUnitsSchema,
  }),
);
export type OrderPlaced = z.infer<typeof OrderPlaced.schema>;

/** The payment was confirmed by the provider and order-service recorded the capture. */
export const OrderCaptured = defineEvent(
  'order.captured',
  z.object({
    orderId: z.string(),
    customerId: z.string(),
    email: z.string(),
    paymentId: z.string(),
    amount: minorUnitsSchema,
    currency: currencySchema,
    locale,
  }),
);
export type OrderCaptured = z.infer<typeof OrderCaptured.schema>;

export const OrderCancelled = defineEvent('order.cancelled', z.object({ orderId: z.string(), reason: z.string() }));
export type OrderCancelled = z.infer<typeof OrderCancelled.schema>;

export const OrderShipped = defineEvent(
  'order.shipped',
  z.object({
    orderId: z.string(),
    carrier: z.string(),
    trackingNumber: z.string(),
    shippedAt: z.string(),
    /** the lines that left (lines refunded before shipping stay behind); absent in events from before it was recorded: every line */
    items: z.array(refundLine).optional(),
  }),
);
export type OrderShipped = z.infer<typeof OrderShipped.schema>;

export const OrderDelivered = defineEvent('order.delivered', z.object({ orderId: z.string(), deliveredAt: z.string() }));
export type OrderDelivered = z.infer<typeof OrderDelivered.schema>;

/** The provider took the money of an order already cancelled: it is refunded by the system, whole. */
export const OrderCapturedAfterCancel = defineEvent(
  'order.captured_after_cancel',
  z.object({ orderId: z.string(), customerId: z.string(), email: z.string(), paymentId: z.string(), amount: minorUnitsSchema, currency: currencySchema, locale }),
);
export type OrderCapturedAfterCancel = z.infer<typeof OrderCapturedAfterCancel.schema>;

/** A captured order still not shipped when its `promisedShipBy` came (order-service's timer): the system refunds it whole, once. */
export const OrderShipDeadlineMissed = defineEvent(
  'order.ship_deadline_missed',
  z.object({ orderId: z.string(), promisedShipBy: z.string() }),
);
export type OrderShipDeadlineMissed = z.infer<typeof OrderShipDeadlineMissed.schema>;

/** An admin flagged lines of an order as sold at a wrong price: the system refunds those lines (each line once). */
export const OrderPriceErrorFlagged = defineEvent(
  'order.price_error_flagged',
  z.object({ orderId: z.string(), skus: z.array(z.string()).min(1), note: z.string(), flaggedBy: z.string() }),
);
export type OrderPriceErrorFlagged = z.infer<typeof OrderPriceErrorFlagged.schema>;

export const PaymentSucceeded = defineEvent(
  'payment.succeeded',
  z.object({
    paymentId: z.string(),
    orderId: z.string(),
    provider: z.string(),
    providerPaymentId: z.string(),
    amount: minorUnitsSchema,
    currency: currencySchema,
  }),
);
export type PaymentSucceeded = z.infer<typeof PaymentSucceeded.schema>;

/**
 * Money captured beyond the order's one payment (a second capture made at the provider outside Ebb, or
 * a payment Ebb had cancelled that was paid anyway): refund-service refunds it whole, from that payment.
 */
export const PaymentDuplicateCaptured = defineEvent(
  'payment.duplicate_captured',
  z.object({
    paymentId: z.string(),
    orderId: z.string(),
    customerId: z.string(),
    email: z.string(),
    provider: z.string(),
    providerPaymentId: z.string(),
    amount: minorUnitsSchema,
    currency: currencySchema,
    /** why it is not the order's payment */
    cause: z.enum(['second_capture', 'captured_after_cancel']),
  }),
);
export type PaymentDuplicateCaptured = z.infer<typeof PaymentDuplicateCaptured.schema>;

export const PaymentFailed = defineEvent(
  'payment.failed',
  z.object({ paymentId: z.string(), orderId: z.string(), provider: z.string(), reason: z.string() }),
);
export type PaymentFailed = z.infer<typeof PaymentFailed.schema>;

const providerRefund = {
  refundId: z.string(),
  orderId: z.string(),
  paymentId: z.string(),
  amount: minorUnitsSchema,
  currency: currencySchema,
  /** when payment-service sent the refund to the provider (ISO 8601), for the request → provider latency */
  providerCalledAt: z.string().optional(),
};

export const PaymentRefundSucceeded = defineEvent(
  'payment.refund_succeeded',
  z.object({ ...providerRefund, providerRefundId: z.string() }),
);
export type PaymentRefundSucceeded = z.infer<typeof PaymentRefundSucceeded.schema>;

export const PaymentRefundFailed = defineEvent(
  'payment.refund_failed',
  z.object({ ...providerRefund, providerRefundId: z.string().optional(), reason: z.string() }),
);
export type PaymentRefundFailed = z.infer<typeof PaymentRefundFailed.schema>;

/**
 * Money given back at the provider outside Ebb (a refund made in the provider's dashboard), seen in
 * its notification or in reconciliation: refund-service records it as a succeeded refund under
 * `refundId` (payment-service chose it), so its ledger counts it and nothing refunds that money twice.
 */
export const PaymentRefundedOutsideEbb = defineEvent(
  'payment.refunded_outside_ebb',
  z.object({
    refundId: z.string(),
    orderId: z.string(),
    paymentId: z.string(),
    customerId: z.string(),
    email: z.string(),
    provider: z.string(),
    providerRefundId: z.string(),
    amount: minorUnitsSchema,
    currency: currencySchema,
    /** what the payment captured: the ledger a first refund opens */
    capturedAmount: minorUnitsSchema,
    /** the payment is a duplicate capture (its own ledger), not the order's */
    duplicate: z.boolean(),
    detectedBy: z.enum(['webhook', 'reconciliation']),
  }),
);
export type PaymentRefundedOutsideEbb = z.infer<typeof PaymentRefundedOutsideEbb.schema>;

/** Every refund event carries the refund as it stands, so consumers need no query back. */
const refundSnapshot = z.object({
  refundId: z.string(),
  orderId: z.string(),
  customerId: z.string(),
  email: z.string(),
  status: z.enum(REFUND_STATUSES),
  amount: minorUnitsSchema,
  currency: currencySchema,
  reason: z.enum(REFUND_REASONS),
  initiator: z.enum(REFUND_INITIATORS),
  items: z.array(refundLine).optional(),
  /**
   * the order had shipped when the refund was requested or approved: its goods must be intercepted or
   * come back first; false: the lines never left and go back to available stock on success
   */
  shipped: z.boolean(),
  failureReason: z.string().optional(),
  providerRefundId: z.string().optional(),
  note: z.string().optional(),
  /**
   * the shipped goods are back with the seller (the parcel was intercepted in transit, or returned
   * and passed inspection): on `refund.succeeded` the refunded lines go back on hand
   */
  restock: z.boolean().optional(),
  /**
   * exactly the goods that go back on hand when this refund succeeds (refund-service decides: the
   * unshipped goods it covers, or what came back of a shipped order); absent in events from before
   * it was decided there
   */
  restockItems: z.array(refundLine).optional(),
  /** the payment this refund pays back, when it is not the order's own (a duplicate capture) */
  paymentId: z.string().optional(),
  /**
   * every status the refund reached since its last event, in order, the last being `status`: a
   * transaction that takes a refund through several steps (requested → approved → refunding)
   * publishes one event that tells them all; absent in events from before, where it is `[status]`
   */
  steps: z.array(z.enum(REFUND_STATUSES)).min(1).optional(),
  locale,
  /** the money was given back at the provider outside Ebb (its dashboard): support should look at the order */
  refundedOutsideEbb: z.boolean().optional(),
  /** the order's seller, when known */
  sellerId: z.string().optional(),
  /** the seller reviews this refund by hand: waiting in pending_review, it is the seller's to decide */
  sellerReview: z.boolean().optional(),
  /** when the system approves it if nobody decides (a seller's review within the automatic limit) */
  autoApproveAt: z.string().optional(),
});
export type RefundSnapshot = z.infer<typeof refundSnapshot>;

export const RefundRequested = defineEvent('refund.requested', refundSnapshot);
export const RefundPendingReview = defineEvent('refund.pending_review', refundSnapshot);
export const RefundApproved = defineEvent('refund.approved', refundSnapshot);
export const RefundRejected = defineEvent('refund.rejected', refundSnapshot);
export const RefundCancelled = defineEvent('refund.cancelled', refundSnapshot);
/** An approved refund of a parcel in transit: refund-service asks the carrier to stop it (an outbound call), the customer is told. */
export const RefundIntercepting = defineEvent('refund.intercepting', refundSnapshot);
/** An approved refund of shipped goods that must come back first (delivered, or too late to intercept). */
export const RefundAwaitingReturn = defineEvent('refund.awaiting_return', refundSnapshot);
/** The returned parcel has arrived; support inspects it. */
export const RefundInspecting = defineEvent('refund.inspecting', refundSnapshot);
/** A command in event form: payment-service refunds `amount` of the order's payment, keyed by refundId. */
export const RefundRefunding = defineEvent('refund.refunding', refundSnapshot);
export const RefundSucceeded = defineEvent('refund.succeeded', refundSnapshot);
export const RefundFailed = defineEvent('refund.failed', refundSnapshot);

/** The event a refund publishes when a transaction leaves it in each status (`steps` says what it passed on the way). */
export const REFUND_EVENTS = {
  requested: RefundRequested,
  pending_review: RefundPendingReview,
  approved: RefundApproved,
  intercepting: RefundIntercepting,
  awaiting_return: RefundAwaitingReturn,
  inspecting: RefundInspecting,
  refunding: RefundRefunding,
  succeeded: RefundSucceeded,
  failed: RefundFailed,
  rejected: RefundRejected,
  cancelled: RefundCancelled,
} as const satisfies Record<RefundStatus, EventType<typeof refundSnapshot>>;

export const InventoryReserved = defineEvent('inventory.reserved', z.object({ orderId: z.string() }));
export const InventoryReservationFailed = defineEvent(
  'inventory.reservation_failed',
  z.object({ orderId: z.string(), reason: z.string() }),
);
export const InventoryCommitted = defineEvent('inventory.committed', z.object({ orderId: z.string() }));
/** The units held for a cancelled order are available again (a refund's goods back on hand publish nothing: see applied_refunds). */
export const InventoryReleased = defineEvent(
  'inventory.released',
  z.object({ orderId: z.string(), refundId: z.string().optional(), items: z.array(refundLine) }),
);

/**
 * A stock count found fewer units than paid orders hold: `quantity` units of the order's line `sku`
 * can no longer be fulfilled (the newest paid orders give way first), `shortQuantity` of that line
 * in all. The system refunds those units (`out_of_stock`); the rest of the order ships as it was.
 */
export const InventoryStockShort = defineEvent(
  'inventory.stock_short',
  z.object({ orderId: z.string(), sku: z.string(), quantity: z.number().int().positive(), shortQuantity: z.number().int().positive() }),
);
export type InventoryStockShort = z.infer<typeof InventoryStockShort.schema>;

/**
 * A seller registered or changed (inventory-service, on every create and update): refund-service keeps
 * when it registered (the `new_sellers` rollout), notification-service its e-mail and locale (seller mails).
 * A consumer keeps the newest by `updatedAt`, so one that arrives late never overwrites a newer one.
 */
export const SellerUpdated = defineEvent(
  'inventory.seller_updated',
  z.object({
    sellerId: z.string(),
    name: z.string(),
    email: z.string(),
    locale: z.enum(LOCALES),
    registeredAt: z.string(),
    updatedAt: z.string(),
  }),
);
export type SellerUpdated = z.infer<typeof SellerUpdated.schema>;

/**
 * A policy migration run is about to change the refund windows of a seller's products (refund-service,
 * once per seller and run, committed before the change): notification-service mails the seller the
 * old and new window of each product, in the seller's language.
 */
export const RefundPolicyChangesAnnounced = defineEvent(
  'refund_policy.changes_announced',
  z.object({
    runId: z.string(),
    sellerId: z.string(),
    changes: z
      .array(
        z.object({
          productId: z.string(),
          title: z.string(),
          oldWindowDays: z.number().int().min(0),
          /** where the old window came from: the product's own, the seller's, or the platform default */
          oldSource: z.enum(['product', 'seller', 'default']),
          newWindowDays: z.number().int().min(0),
        }),
      )
      .min(1),
  }),
);
export type RefundPolicyChangesAnnounced = z.infer<typeof RefundPolicyChangesAnnounced.schema>;
