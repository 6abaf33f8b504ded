import { type AlertSample, attribute, episodesOf, expectations, withFiringSeries } from '../alerts';
import type { Stretch } from '../schedule';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (s: number) => T0 + s * 1000;
const iso = (s: number) => new Date(at(s)).toISOString();
const STRETCHES: Stretch[] = [
  { kind: 'calm', fromS: 0, toS: 120 },
  { kind: 'faults', fromS: 120, toS: 360 },
  { kind: 'outage', fromS: 360, toS: 600 },
];
const failureRate = (state: string, activeS: number) => ({ name: 'RefundFailureRateHigh', labels: { alertname: 'RefundFailureRateHigh', severity: 'critical' }, state, activeAt: iso(activeS) });
const down = (state: string, activeS: number) => ({ name: 'ServiceDown', labels: { alertname: 'ServiceDown', job: 'refund-service', instance: 'x:1' }, state, activeAt: iso(activeS) });

describe('the alerts of a chaos run', () => {
  it('makes an episode of consecutive readings: pending from activeAt, fired when first seen firing, resolved when gone', () => {
    const samples: AlertSample[] = [
      { t: at(380), alerts: [failureRate('pending', 375)] },
      { t: at(500), alerts: [failureRate('firing', 375), down('pending', 498)] },
      { t: at(503), alerts: [failureRate('firing', 375)] },
      { t: at(640), alerts: [] },
    ];
    expect(episodesOf(samples)).toEqual([
      { name: 'RefundFailureRateHigh', labels: expect.any(Object), pendingAt: at(375), firedAt: at(500), resolvedAt: at(640) },
      { name: 'ServiceDown', labels: expect.objectContaining({ job: 'refund-service' }), pendingAt: at(498), resolvedAt: at(503) },
    ]);
  });

  it('takes an earlier firing, or a whole episode the readings missed, from the ALERTS series', () => {
    const episodes = episodesOf([{ t: at(510), alerts: [failureRate('firing', 375)] }]);
    const merged = withFiringSeries(episodes, [
      { name: 'RefundFailureRateHigh', labels: { alertname: 'RefundFailureRateHigh', severity: 'critical' }, from: at(496), to: at(600) },
      { name: 'OutboxLagHigh', labels: { alertname: 'OutboxLagHigh', service: 'refunds' }, from: at(200), to: at(210) },
    ]);
    expect(merged.map((e) => [e.name, e.firedAt])).toEqual([
      ['OutboxLagHigh', at(200)],
      ['RefundFailureRateHigh', at(496)],
    ]);
  });

  it('attributes an episode to the stretch it fired in; one only pending is not attributed', () => {
    expect(attribute({ name: 'A', labels: {}, pendingAt: at(10), firedAt: at(60) }, T0, STRETCHES)).toBe('calm');
    expect(attribute({ name: 'A', labels: {}, pendingAt: at(300), firedAt: at(400) }, T0, STRETCHES)).toBe('outage');
    expect(attribute({ name: 'A', labels: {}, pendingAt: at(130), firedAt: at(200) }, T0, STRETCHES)).toBe('other');
    expect(attribute({ name: 'A', labels: {}, pendingAt: at(590), firedAt: at(700) }, T0, STRETCHES)).toBe('other');
    expect(attribute({ name: 'A', labels: {}, pendingAt: at(130) }, T0, STRETCHES)).toBeUndefined();
  });

  it('holds both expectations when the outage fires RefundFailureRateHigh and the calm stretch nothing', () => {
    const held = expectations([{ name: 'RefundFailureRateHigh', labels: {}, pendingAt: at(370), firedAt: at(495) }], T0, STRETCHES);
    expect(held.map((e) => e.held)).toEqual([true, true]);
    expect(held[0].detail).toBe('fired at 495 s (outage 360–600 s)');
  });

  it('says why the outage expectation did not hold, with the outage’s own figures', () => {
    const [outage, calm] = expectations(
      [{ name: 'ServiceDown', labels: {}, pendingAt: at(20), firedAt: at(100) }],
      T0,
      STRETCHES,
      { failedRefunds: 0, endedRefunds: 12, failureRatio: undefined, providerErrors: 95 },
    );
    expect(outage.held).toBe(false);
    expect(outage.detail).toContain('it was never even pending');
    expect(outage.detail).toContain('0 failed of 12 refunds that reached an outcome (while payment-service counted 95 failed provider calls)');
    expect(calm).toEqual({ name: 'the calm stretch fired no alert', held: false, detail: 'ServiceDown at 100 s' });

    const short: Stretch[] = [STRETCHES[0], STRETCHES[1], { kind: 'outage', fromS: 360, toS: 450 }];
    expect(expectations([], T0, short)[0].detail).toContain('the outage lasted 90 s, less than the 150 s the rule needs');
    const late = expectations([{ name: 'RefundFailureRateHigh', labels: {}, pendingAt: at(500), firedAt: at(640) }], T0, STRETCHES)[0];
    expect(late).toMatchObject({ held: false, detail: expect.stringContaining('it fired only at 640 s, outside the outage') });
  });
});
