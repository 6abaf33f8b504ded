import { Injectable } from '@nestjs/common';
import { z } from 'zod';

export const faultsSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(60000).optional(),
  /** that share of API calls answers 500 api_error */
  errorRate: z.number().min(0).max(1).optional(),
  duplicateWebhooks: z.boolean().optional(),
  reorderWebhooks: z.boolean().optional(),
  /** webhooks are never sent (a provider whose notifications are lost): Ebb must learn the outcome by asking */
  dropWebhooks: z.boolean().optional(),
  /** refunds of pm_card_refundFail payments fail; off proves an operator retry after the fault is cleared */
  refundFailures: z.boolean().optional(),
  /** a slow carrier: interceptions alone wait this long, on top of latencyMs; Stripe calls do not */
  carrierLatencyMs: z.number().int().min(0).max(60000).optional(),
  /** Alipay and WeChat Pay notifications are held this long before their first attempt (a late notification) */
  notifyDelayMs: z.number().int().min(0).max(60000).optional(),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Faults = Required<z.output<typeof faultsSchema>>;

const NO_FAULTS: Faults = {
  latencyMs: 0,
  errorRate: 0,
  duplicateWebhooks: false,
  reorderWebhooks: false,
  dropWebhooks: false,
  refundFailures: true,
  carrierLatencyMs: 0,
  notifyDelayMs: 0,
};

/** The faults injected now: a POST sets them (what it leaves out is off), a DELETE goes back to none. */
@Injectable()
export class FaultsService {
  private faults: Faults = { ...NO_FAULTS };

  get active(): Faults {
    return { ...this.faults };
  }

  set(faults: Partial<Faults>): Faults {
    this.faults = { ...NO_FAULTS, ...faults };
    return this.active;
  }

  reset(): Faults {
    this.faults = { ...NO_FAULTS };
    return this.active;
  }

  /** Waits the injected latency, then says whether this call should fail with an injected 500. */
  async disturb(): Promise<{ fail: boolean }> {
    const { latencyMs, errorRate } = this.faults;
    if (latencyMs > 0) await sleep(latencyMs);
    return { fail: errorRate > 0 && Math.random() < errorRate };
  }

  /** A carrier call: the carrier's own latency, then what every call goes through. */
  async disturbCarrier(): Promise<{ fail: boolean }> {
    const { carrierLatencyMs } = this.faults;
    if (carrierLatencyMs > 0) await sleep(carrierLatencyMs);
    return this.disturb();
  }
}
