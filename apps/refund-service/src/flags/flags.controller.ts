import { Controller, Get, Put } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { idSchema, isoTimeSchema as isoTime } from '@ebb/contracts';
import { Answers, CurrentPrincipal, type Principal, Roles, ZodBody, ZodParams } from '@ebb/http';
import { actorOf } from '../refunds/refund-unit-of-work';
import { currentFlag, setFlag } from './flag-store';
import { FLAG_MODES, PER_PRODUCT_POLICIES } from './rollout-flag';
import { RolloutFlags } from './rollout-flags';

export const putFlagSchema = z
  .strictObject({
    mode: z.enum(FLAG_MODES),
    percentage: z.number({ error: 'must be a whole number from 0 to 100' }).int('must be a whole number from 0 to 100').min(0, 'must be at least 0').max(100, 'must be at most 100').optional(),
  })
  .superRefine((flag, ctx) => {
    if (flag.mode === 'percentage' && flag.percentage === undefined) ctx.addIssue({ code: 'custom', path: ['percentage'], message: 'is required with mode percentage' });
    if (flag.mode !== 'percentage' && flag.percentage !== undefined) ctx.addIssue({ code: 'custom', path: ['percentage'], message: 'goes only with mode percentage' });
  });
type PutFlag = z.output<typeof putFlagSchema>;

const flagSchema = z.strictObject({
  key: z.literal(PER_PRODUCT_POLICIES),
  mode: z.enum(FLAG_MODES),
  percentage: z.number().int().nullable(),
  setAt: isoTime.nullable().describe('when the mode was last set (new_sellers enables sellers registered after it); null when never set'),
  updatedAt: isoTime.nullable(),
  updatedBy: z.string().nullable(),
});
const sellerFlagSchema = z.strictObject({
  enabled: z.boolean().describe('whether per-product windows judge this seller (else its seller-wide window alone)'),
  reason: z.string().describe('off | all | registered_after_flag | registered_before_flag | seller_not_registered | in_rollout_percentage | outside_rollout_percentage | evaluation_failed'),
});
const sellerParams = z.strictObject({ sellerId: idSchema });

/**
 * The gradual rollout of per-product refund windows (admin): the flag's mode, and how it judges a
 * seller. Every change is kept (feature_flag_changes, and the audit log of admin writes).
 */
@Controller('v1/admin/flags/per-product-policies')
@Roles('admin')
export class FlagsController {
  constructor(
    private readonly dataSource: DataSource,
    private readonly flags: RolloutFlags,
  ) {}

  @Put()
  @Answers({ 200: flagSchema })
  async put(@ZodBody(putFlagSchema) body: PutFlag, @CurrentPrincipal() principal: Principal): Promise<z.infer<typeof flagSchema>> {
    const state = await this.dataSource.transaction((manager) => setFlag(manager, PER_PRODUCT_POLICIES, { mode: body.mode, percentage: body.percentage ?? null }, actorOf(principal)));
    return view(state);
  }

  @Get()
  @Answers({ 200: flagSchema })
  async get(): Promise<z.infer<typeof flagSchema>> {
    return view(await currentFlag(this.dataSource.manager, PER_PRODUCT_POLICIES));
  }

  @Get('sellers/:sellerId')
  @Answers({ 200: sellerFlagSchema })
  seller(@ZodParams(sellerParams) { sellerId }: { sellerId: string }): Promise<z.infer<typeof sellerFlagSchema>> {
    return this.flags.perProductPolicies(sellerId);
  }
}

function view(state: Awaited<ReturnType<typeof currentFlag>>): z.infer<typeof flagSchema> {
  return {
    key: PER_PRODUCT_POLICIES,
    mode: state?.mode ?? 'off',
    percentage: state?.percentage ?? null,
    setAt: state?.setAt.toISOString() ?? null,
    updatedAt: state?.updatedAt?.toISOString() ?? null,
    updatedBy: state?.updatedBy ?? null,
  };
}
