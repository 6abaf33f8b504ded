import { seededRandom } from '../random';
import { FLOWS, FLOW_KINDS, linesFor, planWorkload, refundBody } from '../workload';

describe('the chaos workload', () => {
  const plan = (seed = 1, carrierQuiet: { fromS: number; toS: number }[] = []) => planWorkload({ rate: 2, durationS: 600, random: seededRandom(seed), carrierQuiet });

  it('sends one refund request every 1/rate seconds for the whole run', () => {
    const { slots } = plan();
    expect(slots).toHaveLength(1200);
    slots.forEach((slot, i) => {
      expect(slot.index).toBe(i);
      expect(slot.atS).toBeCloseTo(i / 2);
    });
  });

  it('mixes every flow: before shipping (full, partial, line, split), in transit, too late to stop, delivered', () => {
    const kinds = new Set(plan().flows.map((f) => f.kind));
    expect([...kinds].sort()).toEqual([...FLOW_KINDS].sort());
  });

  it('sends the two refunds of a split order in consecutive slots, the others in one', () => {
    const { flows, slots } = plan();
    for (const flow of flows) {
      const mine = slots.filter((s) => s.flow === flow.index);
      expect(mine.map((s) => s.step)).toEqual(FLOWS[flow.kind].requests === 2 ? [0, 1] : [0]);
      if (mine.length === 2) expect(mine[1].index).toBe(mine[0].index + 1);
    }
  });

  it('starts no flow that asks the carrier while its errors are injected', () => {
    const quiet = [{ fromS: 100, toS: 200 }];
    const { flows, slots } = plan(3, quiet);
    const inQuiet = slots.filter((s) => s.atS >= 100 && s.atS < 200 && s.step === 0).map((s) => flows[s.flow].kind);
    expect(inQuiet.length).toBeGreaterThan(0);
    expect(inQuiet.filter((kind) => FLOWS[kind].asksCarrier)).toEqual([]);
    expect(flows.some((f) => FLOWS[f.kind].asksCarrier)).toBe(true);
  });

  it('is the same plan for the same seed', () => {
    expect(plan(9)).toEqual(plan(9));
    expect(plan(9).flows).not.toEqual(plan(10).flows);
  });

  it('asks for a full, a partial, a line and a split refund as api-v1.md takes them', () => {
    const lines = [
      { sku: 'A', quantity: 1, unitAmount: 1000 },
      { sku: 'B', quantity: 2, unitAmount: 500 },
    ];
    expect(refundBody('before-full', 0, 'ord_1', lines)).toEqual({ orderId: 'ord_1', reason: 'requested_by_customer' });
    expect(refundBody('before-partial', 0, 'ord_1', [{ sku: 'A', quantity: 2, unitAmount: 1250 }])).toEqual({ orderId: 'ord_1', amount: 1000, reason: 'requested_by_customer' });
    expect(refundBody('before-line', 0, 'ord_1', lines)).toEqual({ orderId: 'ord_1', items: [{ sku: 'B', quantity: 1 }], reason: 'wrong_item' });
    expect(refundBody('before-split', 0, 'ord_1', lines)).toEqual({ orderId: 'ord_1', items: [{ sku: 'A', quantity: 1 }], reason: 'damaged' });
    expect(refundBody('before-split', 1, 'ord_1', lines)).toEqual({ orderId: 'ord_1', items: [{ sku: 'B', quantity: 2 }], reason: 'requested_by_customer' });
  });

  it('gives line and split orders two lines, with whole-cent amounts', () => {
    const random = seededRandom(5);
    expect(linesFor('before-line', random)).toHaveLength(2);
    expect(linesFor('before-split', random)).toHaveLength(2);
    for (const line of linesFor('delivered', random)) expect(Number.isInteger(line.unitAmount) && line.unitAmount >= 500).toBe(true);
  });
});
