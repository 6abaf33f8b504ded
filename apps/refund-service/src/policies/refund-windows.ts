import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { OrderMessage } from '@ebb/contracts';
import { RolloutFlags } from '../flags/rollout-flags';
import { DEFAULT_WINDOW_DAYS, type PolicySource } from './policy-rules';
import { ownWindows } from './policy-store';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The refund window that applies to a product, and where it comes from. */
export interface WindowInForce {
  windowDays: number;
  source: PolicySource;
}

/** A window that has closed on a product of an order: `refund_window_expired`'s details. */
export interface ClosedWindow extends WindowInForce {
  productId: string;
  expiredAt: string;
}

/**
 * Which refund window applies: the product's own, else its seller's, else 30 days (0: no refunds). A
 * product's own window counts only for a seller the per-product rollout flag enables; any other seller
 * is judged by its seller-wide window alone, exactly as before.
 */
@Injectable()
export class RefundWindows {
  constructor(
    private readonly dataSource: DataSource,
    private readonly flags: RolloutFlags,
  ) {}

  /**
   * The windows of a seller's products now, or as they stood at `at` (policies, and the flag, from
   * their histories), and whether the seller is judged by per-product windows.
   */
  async inForce(sellerId: string, productIds: string[], at?: Date): Promise<{ perProduct: boolean; windows: Map<string, WindowInForce> }> {
    const [{ enabled }, own] = await Promise.all([this.flags.perProductPolicies(sellerId, at), ownWindows(this.dataSource.manager, sellerId, productIds, at)]);
    return { perProduct: enabled, windows: resolve(productIds, own, enabled) };
  }

  /**
   * The windows that have closed on these products of an order. Each is measured from delivery, or
   * from purchase for goods never shipped (goods on their way have not started theirs); 0 days is
   * closed from the start. A customer keeps at least the window in force when they bought: of that
   * one and today's, the longer applies. A window open today is open whatever it was then, so the
   * windows at purchase are read only for those closed today; the flag only for products with a
   * window of their own (without one, the seller's window applies either way).
   */
  async closed(order: OrderMessage, productIds: string[], now = new Date()): Promise<ClosedWindow[]> {
    const ids = [...new Set(productIds)];
    const boughtAt = Date.parse(order.createdAt);
    const delivered = Date.parse(order.deliveredAt);
    const onItsWay = !Number.isFinite(delivered) && (order.fulfillmentStatus === 'shipped' || !!order.shippedAt);
    // an order without a readable date cannot prove a window closed: only 0 days refuses then
    const since = Number.isFinite(delivered) ? delivered : onItsWay ? undefined : boughtAt;
    const opened = since !== undefined && Number.isFinite(since) ? since : undefined;
    const closedOf = (productId: string, window: WindowInForce): ClosedWindow[] => {
      if (window.windowDays === 0) {
        return [{ productId, ...window, expiredAt: new Date(opened ?? (Number.isFinite(boughtAt) ? boughtAt : now.getTime())).toISOString() }];
      }
      if (opened === undefined) return [];
      const expiredAt = opened + window.windowDays * DAY_MS;
      return now.getTime() > expiredAt ? [{ productId, ...window, expiredAt: new Date(expiredAt).toISOString() }] : [];
    };
    const today = await this.windowsAt(order.sellerId, ids);
    const closedToday = ids.filter((productId) => closedOf(productId, today.get(productId)!).length > 0);
    const atPurchase = closedToday.length > 0 && Number.isFinite(boughtAt) ? await this.windowsAt(order.sellerId, closedToday, new Date(boughtAt)) : undefined;
    return closedToday.flatMap((productId) => {
      const current = today.get(productId)!;
      const then = atPurchase?.get(productId);
      return closedOf(productId, then && then.windowDays > current.windowDays ? then : current);
    });
  }

  /** The windows in force now or at `at`, asking the flag only when a product has a window of its own. */
  private async windowsAt(sellerId: string, productIds: string[], at?: Date): Promise<Map<string, WindowInForce>> {
    const own = await ownWindows(this.dataSource.manager, sellerId, productIds, at);
    const enabled = own.products.size > 0 && (await this.flags.perProductPolicies(sellerId, at)).enabled;
    return resolve(productIds, own, enabled);
  }
}

/** The product's own window (for a seller the flag enables), else the seller's, else the platform default. */
function resolve(productIds: string[], own: { products: Map<string, number>; seller: number | undefined }, perProduct: boolean): Map<string, WindowInForce> {
  return new Map(
    productIds.map((productId): [string, WindowInForce] => {
      const product = perProduct ? own.products.get(productId) : undefined;
      if (product !== undefined) return [productId, { windowDays: product, source: 'product' }];
      if (own.seller !== undefined) return [productId, { windowDays: own.seller, source: 'seller' }];
      return [productId, { windowDays: DEFAULT_WINDOW_DAYS, source: 'default' }];
    }),
  );
}
