import { Controller, HttpCode, Post } from '@nestjs/common';
import { ZodBody } from '@ebb/http';
import { z } from 'zod';
import { FaultsService } from '../faults/faults.service';
import { SandboxErrorCode, sandboxError } from '../sandbox-errors';

const interceptionSchema = z.strictObject({
  carrier: z.string().trim().min(1).max(100),
  trackingNumber: z.string().trim().min(1).max(100),
});

/** A parcel carrier's interception API: a tracking number ending in `-LATE` is too late to stop. */
@Controller('carrier/v1')
export class CarrierController {
  constructor(private readonly faults: FaultsService) {}

  @Post('interceptions')
  @HttpCode(200)
  async intercept(@ZodBody(interceptionSchema) body: z.infer<typeof interceptionSchema>) {
    const { fail } = await this.faults.disturbCarrier();
    if (fail) throw sandboxError(SandboxErrorCode.InjectedFault, 'The carrier failed to answer (injected by the sandbox).');
    return { status: body.trackingNumber.toUpperCase().endsWith('-LATE') ? 'too_late' : 'intercepted' };
  }
}
