// What the shop asks for during a chaos run: one refund request every 1/rate seconds, each part of a
// flow (an order refunded before shipping, in transit, or after delivery). Pure: one seed, one plan.
import type { RequestBody } from '@ebb/api-client';
import type { Random } from './random';

export type FlowKind = 'before-full' | 'before-partial' | 'before-line' | 'before-split' | 'in-transit' | 'in-transit-late' | 'delivered';

export interface FlowShape {
  weight: number;
  /** refund requests the flow sends, one per slot */
  requests: 1 | 2;
  /** the order is shipped (`shipped`) or shipped and delivered before its refund */
  fulfilment: 'none' | 'shipped' | 'delivered';
  /** refund-service asks the carrier to stop the parcel */
  asksCarrier: boolean;
  /** support receives the returned parcel and passes its inspection */
  returns: boolean;
}

export const FLOWS: Record<FlowKind, FlowShape> = {
  'before-full': { weight: 20, requests: 1, fulfilment: 'none', asksCarrier: false, returns: false },
  'before-partial': { weight: 15, requests: 1, fulfilment: 'none', asksCarrier: false, returns: false },
  'before-line': { weight: 10, requests: 1, fulfilment: 'none', asksCarrier: false, returns: false },
  // one line refunded, the other a moment later: two refunds of one order close together
  'before-split': { weight: 10, requests: 2, fulfilment: 'none', asksCarrier: false, returns: false },
  'in-transit': { weight: 20, requests: 1, fulfilment: 'shipped', asksCarrier: true, returns: false },
  // the carrier answers too late: the parcel comes back and is inspected
  'in-transit-late': { weight: 10, requests: 1, fulfilment: 'shipped', asksCarrier: true, returns: true },
  delivered: { weight: 15, requests: 1, fulfilment: 'delivered', asksCarrier: false, returns: true },
};
export const FLOW_KINDS = Object.keys(FLOWS) as FlowKind[];

export interface OrderLine {
  quantity: number;
  unitAmount: number;
}

export interface PlannedFlow {
  index: number;
  kind: FlowKind;
  lines: OrderLine[];
}

export interface Slot {
  index: number;
  /** seconds from the start of the run */
  atS: number;
  flow: number;
  /** which of the flow's refund requests */
  step: 0 | 1;
}

export interface Workload {
  rate: number;
  flows: PlannedFlow[];
  slots: Slot[];
}

export interface WorkloadOptions {
  rate: number;
  durationS: number;
  random: Random;
  /** when no flow that asks the carrier may start (windows whose injected errors fail the carrier too) */
  carrierQuiet: readonly { fromS: number; toS: number }[];
}

/** The lines of a flow's order: amounts in cents, well below the auto-approval limit. */
export function linesFor(kind: FlowKind, random: Random): OrderLine[] {
  const unit = () => random.int(5, 50) * 100;
  switch (kind) {
    case 'before-partial':
      return [{ quantity: 2, unitAmount: unit() }];
    case 'before-line':
    case 'before-split':
      return [
        { quantity: 1, unitAmount: unit() },
        { quantity: 2, unitAmount: unit() },
      ];
    default:
      return [{ quantity: 1, unitAmount: unit() }];
  }
}

export function planWorkload({ rate, durationS, random, carrierQuiet }: WorkloadOptions): Workload {
  const count = Math.floor(rate * durationS);
  const flows: PlannedFlow[] = [];
  const slots: Slot[] = [];
  const quiet = (atS: number) => carrierQuiet.some((w) => atS >= w.fromS && atS < w.toS);
  for (let i = 0; i < count; i++) {
    const atS = i / rate;
    const fits = FLOW_KINDS.filter((kind) => (!FLOWS[kind].asksCarrier || !quiet(atS)) && (FLOWS[kind].requests === 1 || i + 1 < count));
    const kind = random.weighted(fits.map((value) => ({ value, weight: FLOWS[value].weight })));
    const flow = { index: flows.length, kind, lines: linesFor(kind, random) };
    flows.push(flow);
    slots.push({ index: i, atS, flow: flow.index, step: 0 });
    if (FLOWS[kind].requests === 2) {
      i++;
      slots.push({ index: i, atS: i / rate, flow: flow.index, step: 1 });
    }
  }
  return { rate, flows, slots };
}

/** A paid order's lines as the seeding created them. */
export interface SeededLine extends OrderLine {
  sku: string;
}

/** The body of the flow's `step`th refund request (api-v1.md `POST /v1/refunds`). */
export function refundBody(kind: FlowKind, step: 0 | 1, orderId: string, lines: readonly SeededLine[]): RequestBody<'/v1/refunds', 'post'> {
  const total = lines.reduce((sum, line) => sum + line.quantity * line.unitAmount, 0);
  switch (kind) {
    case 'before-partial':
      return { orderId, amount: Math.max(1, Math.floor(total * 0.4)), reason: 'requested_by_customer' };
    case 'before-line':
      return { orderId, items: [{ sku: lines[1].sku, quantity: 1 }], reason: 'wrong_item' };
    case 'before-split': {
      // one line each, so either may be taken first (a retried first one often is second) and both fit
      const line = lines[step];
      return { orderId, items: [{ sku: line.sku, quantity: line.quantity }], reason: step === 0 ? 'damaged' : 'requested_by_customer' };
    }
    case 'in-transit-late':
      return { orderId, reason: 'damaged' };
    case 'delivered':
      return { orderId, reason: 'not_as_described' };
    default:
      return { orderId, reason: 'requested_by_customer' };
  }
}
