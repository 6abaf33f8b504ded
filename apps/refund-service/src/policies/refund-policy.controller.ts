import { Controller, Get, Put } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { idSchema, isoTimeSchema as isoTime } from '@ebb/contracts';
import { Answers, Refuses, Roles, ZodBody, ZodParams } from '@ebb/http';
import { RefundErrorCode, refundError } from '../refunds/refund-errors';
import { type PolicyScope, REVIEW_MODES, type ReviewMode, RefundPolicy } from './refund-policy.entity';

const windowSchema = z.strictObject({
  windowDays: z.number().int('must be a whole number of days').min(0, 'must not be negative').max(3650, 'must be at most 3650'),
});
const sellerWindowSchema = windowSchema.extend({
  review: z.enum(REVIEW_MODES, { error: 'must be automatic or manual' }).optional().describe("manual: the seller's refunds wait in pending_review, approved by the system after REFUND_AUTO_APPROVE_HOURS"),
});
const productParams = z.strictObject({ productId: idSchema });
const sellerParams = z.strictObject({ sellerId: idSchema });
const stored = { windowDays: z.number().int(), updatedAt: isoTime };
const productPolicySchema = z.strictObject({ productId: z.string(), ...stored });
const sellerPolicySchema = z.strictObject({ sellerId: z.string(), ...stored, review: z.enum(REVIEW_MODES) });

/**
 * Refund windows per product and per seller (admin). They are stored here; enforcing them on
 * requests (422 refund_window_expired) comes with a later issue.
 */
@Controller('v1/refund-policies')
@Roles('admin')
export class RefundPolicyController {
  constructor(private readonly dataSource: DataSource) {}

  @Put('products/:productId')
  @Answers({ 200: productPolicySchema })
  async putProduct(@ZodParams(productParams) params: { productId: string }, @ZodBody(windowSchema) body: { windowDays: number }) {
    return { productId: params.productId, ...(await this.save('product', params.productId, body.windowDays)) };
  }

  @Get('products/:productId')
  @Roles('admin', 'support')
  @Answers({ 200: productPolicySchema })
  @Refuses(refundError, RefundErrorCode.RefundPolicyNotFound)
  async getProduct(@ZodParams(productParams) params: { productId: string }) {
    const { review: _sellersOnly, ...policy } = await this.find('product', params.productId);
    return { productId: params.productId, ...policy };
  }

  @Put('sellers/:sellerId')
  @Answers({ 200: sellerPolicySchema })
  async putSeller(@ZodParams(sellerParams) params: { sellerId: string }, @ZodBody(sellerWindowSchema) body: { windowDays: number; review?: ReviewMode }) {
    await this.save('seller', params.sellerId, body.windowDays, body.review);
    return { sellerId: params.sellerId, ...(await this.find('seller', params.sellerId)) };
  }

  @Get('sellers/:sellerId')
  @Roles('admin', 'support')
  @Answers({ 200: sellerPolicySchema })
  @Refuses(refundError, RefundErrorCode.RefundPolicyNotFound)
  async getSeller(@ZodParams(sellerParams) params: { sellerId: string }) {
    return { sellerId: params.sellerId, ...(await this.find('seller', params.sellerId)) };
  }

  private async save(scope: PolicyScope, scopeId: string, windowDays: number, review?: ReviewMode) {
    const updatedAt = new Date();
    // a review not given stays as it was
    await this.dataSource.getRepository(RefundPolicy).upsert({ scope, scopeId, windowDays, updatedAt, ...(review ? { review } : {}) }, ['scope', 'scopeId']);
    return { windowDays, updatedAt: updatedAt.toISOString() };
  }

  private async find(scope: PolicyScope, scopeId: string) {
    const policy = await this.dataSource.getRepository(RefundPolicy).findOneBy({ scope, scopeId });
    if (!policy) throw refundError(RefundErrorCode.RefundPolicyNotFound, `No refund policy is set for ${scope} ${scopeId}.`);
    return { windowDays: policy.windowDays, updatedAt: policy.updatedAt.toISOString(), review: policy.review ?? ('automatic' as const) };
  }
}
