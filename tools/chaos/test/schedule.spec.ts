import { FAULT_KINDS, OUTAGE_FOR_ALERT_S, PROCESS_FAULTS, SANDBOX_FAULTS, buildSchedule, stretchAt } from '../schedule';

const MINUTES = [1, 2, 3, 5, 7.5, 10, 30, 60];
const schedule = (minutes: number, seed = 42, extra: Partial<Parameters<typeof buildSchedule>[0]> = {}) =>
  buildSchedule({ minutes, seed, redisRestart: true, brokerDrops: true, ...extra });

describe('the chaos schedule', () => {
  it.each(MINUTES)('injects every kind of fault in a %s-minute run', (minutes) => {
    const kinds = new Set(schedule(minutes).events.map((e) => e.kind));
    expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
  });

  it.each(MINUTES)('starts with a calm stretch without any fault and ends with the provider outage (%s minutes)', (minutes) => {
    const { stretches, events, durationS } = schedule(minutes);
    expect(stretches.map((s) => s.kind)).toEqual(['calm', 'faults', 'outage']);
    expect(durationS).toBe(Math.round(minutes * 60));
    const calm = stretches[0];
    expect(calm.toS - calm.fromS).toBeGreaterThan(0);
    expect(events.filter((e) => e.atS < calm.toS || (e.untilS ?? e.atS) <= calm.toS)).toEqual([]);
    const outage = stretches[2];
    expect(events.filter((e) => e.kind === 'provider-outage')).toEqual([{ kind: 'provider-outage', atS: outage.fromS, untilS: outage.toS }]);
    // every other fault is planned inside the faults stretch
    for (const event of events.filter((e) => e.kind !== 'provider-outage')) {
      expect(event.atS).toBeGreaterThanOrEqual(stretches[1].fromS);
      expect(event.untilS ?? event.atS).toBeLessThanOrEqual(stretches[1].toS);
    }
  });

  it('gives the outage 40% of the run, and the alert rule’s 150 s wherever that is at most half the run', () => {
    const outageOf = (minutes: number) => {
      const outage = schedule(minutes).stretches[2];
      return outage.toS - outage.fromS;
    };
    expect(outageOf(10)).toBe(240);
    expect(outageOf(60)).toBe(1440);
    expect(outageOf(5)).toBe(OUTAGE_FOR_ALERT_S);
    expect(outageOf(6)).toBe(OUTAGE_FOR_ALERT_S);
    expect(outageOf(3)).toBe(90); // half of a run too short for the alert
    for (const minutes of MINUTES.filter((m) => m >= 5)) expect(outageOf(minutes)).toBeGreaterThanOrEqual(OUTAGE_FOR_ALERT_S);
  });

  it('repeats the faults in a long run: rounds of kills and windows, sandbox windows never overlapping', () => {
    const long = schedule(60);
    expect(long.events.filter((e) => e.kind === 'kill-refund').length).toBeGreaterThan(1);
    expect(long.events.filter((e) => e.kind === 'slow-carrier').length).toBeGreaterThan(1);
    const windows = long.events.filter((e) => e.untilS !== undefined);
    for (let i = 1; i < windows.length; i++) expect(windows[i].atS).toBeGreaterThanOrEqual(windows[i - 1].untilS!);
    for (const w of windows) expect(w.untilS!).toBeGreaterThan(w.atS);
  });

  it('is the same schedule for the same seed, and another for another seed', () => {
    expect(schedule(10, 7)).toEqual(schedule(10, 7));
    expect(schedule(10, 7).events).not.toEqual(schedule(10, 8).events);
  });

  it('lists the events in time order', () => {
    const { events } = schedule(10);
    expect(events.map((e) => e.atS)).toEqual([...events.map((e) => e.atS)].sort((a, b) => a - b));
  });

  it('leaves out Redis restarts and broker drops when asked, and says so', () => {
    const without = schedule(10, 42, { redisRestart: false, brokerDrops: false });
    expect(without.skipped.sort()).toEqual(['broker-drop', 'redis-restart']);
    expect(without.events.some((e) => e.kind === 'redis-restart' || e.kind === 'broker-drop')).toBe(false);
    for (const kind of [...PROCESS_FAULTS.filter((k) => k.startsWith('kill-')), ...SANDBOX_FAULTS]) expect(without.events.some((e) => e.kind === kind)).toBe(true);
  });

  it('names the stretch of any moment, and the run’s edges', () => {
    const { stretches } = schedule(10);
    expect(stretchAt(stretches, -1)).toBe('before');
    expect(stretchAt(stretches, 0)).toBe('calm');
    expect(stretchAt(stretches, 200)).toBe('faults');
    expect(stretchAt(stretches, 599)).toBe('outage');
    expect(stretchAt(stretches, 600)).toBe('after');
  });
});
