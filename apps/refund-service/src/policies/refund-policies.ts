import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Principal } from '@ebb/http';
import { InventoryClient, InventoryUnavailableError } from '../inventory/inventory.client';
import { RefundErrorCode, refundError } from '../refunds/refund-errors';
import { actorOf } from '../refunds/refund-unit-of-work';
import { brokenRule } from './policy-rules';
import { type PolicyValue, lockSellerPolicies, sellerRules, writePolicy } from './policy-store';
import { RefundPolicy } from './refund-policy.entity';
import type { ProductPolicyView, PutSellerPolicy, SellerPolicyView, StoredProductPolicyView } from './refund-policy.schemas';
import { RefundWindows } from './refund-windows';

const iso = (date: Date | null | undefined) => date?.toISOString() ?? null;

const sellerView = (policy: RefundPolicy): SellerPolicyView => ({
  sellerId: policy.scopeId,
  windowDays: policy.windowDays,
  minWindowDays: policy.minWindowDays,
  maxWindowDays: policy.maxWindowDays,
  allowNoRefunds: policy.allowNoRefunds,
  review: policy.review ?? 'automatic',
  updatedAt: policy.updatedAt.toISOString(),
  updatedBy: policy.updatedBy,
});

/** Refund windows per product and per seller: set within the seller's rules, every change logged; the window in force. */
@Injectable()
export class RefundPolicies {
  constructor(
    private readonly dataSource: DataSource,
    private readonly windows: RefundWindows,
    @Inject(InventoryClient) private readonly inventory: InventoryClient,
  ) {}

  /**
   * A product's own window: its seller read from inventory-service (404 `product_not_found` if unknown
   * there), refused with 409 `policy_conflict` when it breaks one of the seller's rules.
   */
  async putProduct(productId: string, body: { windowDays: number; reason?: string }, principal: Principal): Promise<StoredProductPolicyView> {
    const sellerId = await this.sellerOf(productId);
    const policy = await this.dataSource.transaction(async (manager) => {
      await lockSellerPolicies(manager, sellerId);
      const rule = brokenRule(body.windowDays, await sellerRules(manager, sellerId));
      if (rule) throw conflict(productId, sellerId, body.windowDays, rule);
      const { policy } = await writePolicy(manager, { scope: 'product', scopeId: productId, sellerId }, { windowDays: body.windowDays }, { actor: actorOf(principal), reason: body.reason });
      return policy!;
    });
    return { productId, sellerId, windowDays: policy.windowDays, updatedAt: policy.updatedAt.toISOString(), updatedBy: policy.updatedBy };
  }

  /** The window that applies to a product now, where it comes from, and the product's own window if it has one. */
  async getProduct(productId: string): Promise<ProductPolicyView> {
    const own = await this.dataSource.getRepository(RefundPolicy).findOneBy({ scope: 'product', scopeId: productId });
    const sellerId = own?.sellerId ?? (await this.sellerOf(productId));
    const { perProduct, windows } = await this.windows.inForce(sellerId, [productId]);
    const window = windows.get(productId)!;
    const source = window.source === 'product' ? own : window.source === 'seller' ? await this.dataSource.getRepository(RefundPolicy).findOneBy({ scope: 'seller', scopeId: sellerId }) : null;
    return {
      productId,
      sellerId,
      windowDays: window.windowDays,
      source: window.source,
      ownWindowDays: own?.windowDays ?? null,
      perProductPolicies: perProduct,
      updatedAt: iso(source?.updatedAt),
      updatedBy: source?.updatedBy ?? null,
    };
  }

  /**
   * A seller's window, rules and review. Rules that a window already set on one of its products would
   * break are refused (409 `policy_conflict` naming that product), so no product is ever left outside
   * them. A review left out stays as it was.
   */
  async putSeller(sellerId: string, body: PutSellerPolicy, principal: Principal): Promise<SellerPolicyView> {
    const rules = { minWindowDays: body.minWindowDays ?? null, maxWindowDays: body.maxWindowDays ?? null, allowNoRefunds: body.allowNoRefunds ?? null };
    const policy = await this.dataSource.transaction(async (manager) => {
      await lockSellerPolicies(manager, sellerId);
      const review = body.review ?? (await manager.findOneBy(RefundPolicy, { scope: 'seller', scopeId: sellerId }))?.review ?? undefined;
      const value: PolicyValue = {
        windowDays: body.windowDays,
        ...(body.minWindowDays !== undefined ? { minWindowDays: body.minWindowDays } : {}),
        ...(body.maxWindowDays !== undefined ? { maxWindowDays: body.maxWindowDays } : {}),
        ...(body.allowNoRefunds !== undefined ? { allowNoRefunds: body.allowNoRefunds } : {}),
        ...(review ? { review } : {}),
      };
      const products: { scope_id: string; window_days: number }[] = await manager.query(
        `SELECT scope_id, window_days FROM refund_policies WHERE scope = 'product' AND seller_id = $1 ORDER BY scope_id`,
        [sellerId],
      );
      for (const product of products) {
        const rule = brokenRule(product.window_days, rules);
        if (rule) throw conflict(product.scope_id, sellerId, product.window_days, rule);
      }
      const { policy } = await writePolicy(manager, { scope: 'seller', scopeId: sellerId, sellerId }, value, { actor: actorOf(principal) });
      return policy!;
    });
    return sellerView(policy);
  }

  async getSeller(sellerId: string): Promise<SellerPolicyView> {
    const policy = await this.dataSource.getRepository(RefundPolicy).findOneBy({ scope: 'seller', scopeId: sellerId });
    if (!policy) throw refundError(RefundErrorCode.RefundPolicyNotFound, `No refund policy is set for seller ${sellerId}.`);
    return sellerView(policy);
  }

  /** The seller of a product, from inventory-service. */
  private async sellerOf(productId: string): Promise<string> {
    let product;
    try {
      product = await this.inventory.product(productId);
    } catch (error) {
      if (error instanceof InventoryUnavailableError) {
        throw refundError(RefundErrorCode.InventoryServiceUnavailable, 'The inventory service did not answer; try again shortly.');
      }
      throw error;
    }
    if (!product) throw refundError(RefundErrorCode.ProductNotFound, `Product ${productId} is not in the catalogue.`, { productId });
    return product.sellerId;
  }
}

/** 409 `policy_conflict`: a product window that breaks a rule of its seller. */
export const conflict = (productId: string, sellerId: string, windowDays: number, rule: string) =>
  refundError(RefundErrorCode.PolicyConflict, `A window of ${windowDays} days on product ${productId} breaks its seller's rule ${rule}.`, {
    productId,
    sellerId,
    windowDays,
    rule,
  });
