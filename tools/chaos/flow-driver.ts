// Sends the workload's refund requests at their times, as the shop and its support agents would:
// the customer asks for the refund; for a parcel coming back, support receives it and passes it.
import type { ApiClient } from '@ebb/api-client';
import type { ShopClient } from './shop-client';
import { type SeededOrder, supportToken } from './seed-orders';
import { FLOWS, type FlowKind, type Slot, type Workload, refundBody } from './workload';

export interface AcceptedRefund {
  refundId: string;
  orderId: string;
  flow: number;
  kind: FlowKind;
  step: 0 | 1;
  /** epoch ms the request was due */
  dueAt: number;
  amount: number;
  /** the last status read */
  status: string;
}

export interface DriverStats {
  /** slots whose time came */
  requested: number;
  /** slots with no order (its checkout failed at seeding) */
  skipped: number;
  accepted: number;
  /** requests not accepted: refused (4xx) or abandoned */
  notAccepted: number;
  /** how late the requests left, at worst (ms): the open loop's own lag */
  maxLateMs: number;
  returnsReceived: number;
  inspectionsPassed: number;
  /** parcels support waited for that never reached awaiting_return, by the status they stopped at */
  returnsNotAwaited: Record<string, number>;
  /** the refund requests not accepted, as evidence (at most 50) */
  refused: RefusedRequest[];
}

export interface RefusedRequest {
  kind: FlowKind;
  step: 0 | 1;
  orderId: string;
  /** the last answer's status (0: none) and error */
  status: number;
  error?: { code?: string; message?: string; details?: unknown };
}

export const FINAL_STATUSES: readonly string[] = ['succeeded', 'failed', 'rejected', 'cancelled'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FlowDriver {
  readonly accepted = new Map<string, AcceptedRefund>();
  readonly stats: DriverStats = {
    requested: 0,
    skipped: 0,
    accepted: 0,
    notAccepted: 0,
    maxLateMs: 0,
    returnsReceived: 0,
    inspectionsPassed: 0,
    returnsNotAwaited: {},
    refused: [],
  };
  private readonly inFlight = new Set<Promise<void>>();
  private stopAt = Infinity;

  constructor(
    private readonly api: ApiClient,
    private readonly shop: ShopClient,
    private readonly workload: Workload,
    private readonly orders: Map<number, SeededOrder>,
  ) {}

  get pending(): number {
    return this.inFlight.size;
  }

  /** Sends every slot at its time (an open loop: a slow answer does not delay the next request). */
  async run(t0: number): Promise<void> {
    for (const slot of this.workload.slots) {
      const due = t0 + slot.atS * 1000;
      const wait = due - Date.now();
      if (wait > 1) await sleep(wait);
      this.stats.maxLateMs = Math.max(this.stats.maxLateMs, Date.now() - due);
      const work = this.fire(slot, due).finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    }
  }

  /** From `at` on, support stops waiting for parcels (the shop's calls stop by ShopClient.giveUpAt). */
  giveUpAt(at: number): void {
    this.stopAt = at;
  }

  /** Waits for whatever is still under way to notice the time is up. */
  async drain(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  private async fire(slot: Slot, dueAt: number): Promise<void> {
    this.stats.requested++;
    const order = this.orders.get(slot.flow);
    if (!order) {
      this.stats.skipped++;
      return;
    }
    const { kind } = this.workload.flows[slot.flow];
    const body = refundBody(kind, slot.step, order.id, order.lines);
    const refunds = this.api.typed('refund', order.token);
    const outcome = await this.shop.send('refund', 'POST /v1/refunds', (init) => refunds.POST('/v1/refunds', { body, ...init }));
    if (!outcome.ok || !outcome.answer) {
      this.stats.notAccepted++;
      const error = (outcome.answer?.body as { error?: RefusedRequest['error'] } | undefined)?.error;
      if (this.stats.refused.length < 50) this.stats.refused.push({ kind, step: slot.step, orderId: order.id, status: outcome.answer?.status ?? 0, error });
      return;
    }
    const refund = outcome.answer.body;
    this.stats.accepted++;
    const accepted: AcceptedRefund = { refundId: refund.id, orderId: order.id, flow: slot.flow, kind, step: slot.step, dueAt, amount: refund.amount, status: refund.status };
    this.accepted.set(refund.id, accepted);
    if (FLOWS[kind].returns) await this.receiveReturn(accepted);
  }

  /** Support's part of a returned parcel: waits for `awaiting_return`, receives it, passes the inspection. */
  private async receiveReturn(refund: AcceptedRefund): Promise<void> {
    const asSupport = this.api.typed('refund', supportToken);
    const params = { path: { id: refund.refundId } };
    let status = refund.status;
    for (let gap = 500; status !== 'awaiting_return'; gap = Math.min(gap * 2, 4000)) {
      if (FINAL_STATUSES.includes(status) || status === 'refunding' || Date.now() + gap > this.stopAt) {
        this.stats.returnsNotAwaited[status] = (this.stats.returnsNotAwaited[status] ?? 0) + 1;
        return;
      }
      await sleep(gap);
      const read = await this.shop.send('refund', 'GET /v1/refunds/:id', (init) => asSupport.GET('/v1/refunds/{id}', { params, ...init }), 60_000);
      if (read.ok && read.answer) status = refund.status = read.answer.body.status;
    }
    const received = await this.shop.send('refund', 'POST /v1/refunds/:id/return-received', (init) => asSupport.POST('/v1/refunds/{id}/return-received', { params, ...init }));
    if (!received.ok) return;
    this.stats.returnsReceived++;
    const inspected = await this.shop.send('refund', 'POST /v1/refunds/:id/inspection', (init) =>
      asSupport.POST('/v1/refunds/{id}/inspection', { params, body: { result: 'passed', note: 'chaos run: unused' }, ...init }),
    );
    if (inspected.ok) this.stats.inspectionsPassed++;
  }
}
