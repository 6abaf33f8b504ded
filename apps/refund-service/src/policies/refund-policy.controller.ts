import { Controller, Get, Put } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Answers, CurrentPrincipal, type Principal, Refuses, Roles, ZodBody, ZodParams, ZodQuery, decodeCursor, keysetPage } from '@ebb/http';
import { RefundErrorCode as E, refundError } from '../refunds/refund-errors';
import type { PolicyValue } from './policy-store';
import { RefundPolicies } from './refund-policies';
import {
  type ListChangesQuery,
  type PolicyChangeView,
  type PutProductPolicy,
  type PutSellerPolicy,
  listChangesSchema,
  policyChangeListSchema,
  productParams,
  productPolicySchema,
  putProductPolicySchema,
  putSellerPolicySchema,
  sellerParams,
  sellerPolicySchema,
  storedProductPolicySchema,
} from './refund-policy.schemas';

interface ChangeRow {
  id: string;
  scope: 'product' | 'seller';
  scope_id: string;
  seller_id: string | null;
  old_value: PolicyValue | null;
  new_value: PolicyValue | null;
  actor: string;
  reason: string | null;
  run_id: string | null;
  at: Date;
}

const changeView = (row: ChangeRow): PolicyChangeView => ({
  id: String(row.id),
  scope: row.scope,
  ...(row.scope === 'product' ? { productId: row.scope_id } : {}),
  sellerId: row.scope === 'seller' ? row.scope_id : row.seller_id,
  old: row.old_value,
  new: row.new_value,
  actor: row.actor,
  ...(row.reason ? { reason: row.reason } : {}),
  ...(row.run_id ? { runId: row.run_id } : {}),
  at: row.at.toISOString(),
});

/**
 * Refund windows per product and per seller (api-v1 additions): admins set them, within the seller's
 * rules; support reads them and every change with its old and new value, actor, time and run.
 */
@Controller('v1/refund-policies')
@Roles('admin')
export class RefundPolicyController {
  constructor(
    private readonly policies: RefundPolicies,
    private readonly dataSource: DataSource,
  ) {}

  @Put('products/:productId')
  @Answers({ 200: storedProductPolicySchema })
  @Refuses(refundError, E.ProductNotFound, E.PolicyConflict, E.InventoryServiceUnavailable)
  putProduct(@ZodParams(productParams) { productId }: { productId: string }, @ZodBody(putProductPolicySchema) body: PutProductPolicy, @CurrentPrincipal() principal: Principal) {
    return this.policies.putProduct(productId, body, principal);
  }

  @Get('products/:productId')
  @Roles('admin', 'support')
  @Answers({ 200: productPolicySchema })
  @Refuses(refundError, E.ProductNotFound, E.InventoryServiceUnavailable)
  getProduct(@ZodParams(productParams) { productId }: { productId: string }) {
    return this.policies.getProduct(productId);
  }

  @Put('sellers/:sellerId')
  @Answers({ 200: sellerPolicySchema })
  @Refuses(refundError, E.PolicyConflict)
  putSeller(@ZodParams(sellerParams) { sellerId }: { sellerId: string }, @ZodBody(putSellerPolicySchema) body: PutSellerPolicy, @CurrentPrincipal() principal: Principal) {
    return this.policies.putSeller(sellerId, body, principal);
  }

  @Get('sellers/:sellerId')
  @Roles('admin', 'support')
  @Answers({ 200: sellerPolicySchema })
  @Refuses(refundError, E.RefundPolicyNotFound)
  getSeller(@ZodParams(sellerParams) { sellerId }: { sellerId: string }) {
    return this.policies.getSeller(sellerId);
  }

  /** Every change, oldest first: of a product, of a seller (its own and its products'), or of a migration run. */
  @Get('changes')
  @Roles('admin', 'support')
  @Answers({ 200: policyChangeListSchema })
  async changes(@ZodQuery(listChangesSchema) query: ListChangesQuery) {
    const [after] = query.cursor ? (decodeCursor(query.cursor, ['string']) as string[]) : [null];
    if (after !== null && !/^[0-9]{1,18}$/.test(after)) decodeCursor('', ['string']);
    const rows: ChangeRow[] = await this.dataSource.query(
      `SELECT id, scope, scope_id, seller_id, old_value, new_value, actor, reason, run_id, at FROM refund_policy_changes
        WHERE ($1::text IS NULL OR (scope = 'product' AND scope_id = $1))
          AND ($2::text IS NULL OR seller_id = $2 OR (scope = 'seller' AND scope_id = $2))
          AND ($3::text IS NULL OR run_id = $3)
          AND ($4::bigint IS NULL OR id > $4::bigint)
        ORDER BY id LIMIT $5`,
      [query.productId ?? null, query.sellerId ?? null, query.runId ?? null, after, query.limit + 1],
    );
    return keysetPage(rows, query.limit, changeView, (row) => [String(row.id)]);
  }
}
