import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The process's one metrics registry, served at /metrics. */
export const metricsRegistry = new Registry();
let defaultsCollected = false;

export function collectDefaults(service: string): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  metricsRegistry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: metricsRegistry });
}

// several modules (and test boots) may ask for the same metric: the first definition serves all
function getOrCreate<T>(name: string, create: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? create();
}

export function histogram<L extends string>(name: string, help: string, labelNames: L[], buckets: number[]): Histogram<L> {
  return getOrCreate(name, () => new Histogram({ name, help, labelNames, buckets, registers: [metricsRegistry] }));
}

export function counter<L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> {
  return getOrCreate(name, () => new Counter({ name, help, labelNames, registers: [metricsRegistry] }));
}

export function gauge<L extends string>(
  name: string,
  help: string,
  labelNames: L[] = [],
  collect?: (this: Gauge<L>) => void | Promise<void>,
): Gauge<L> {
  return getOrCreate(name, () => new Gauge({ name, help, labelNames, registers: [metricsRegistry], collect }));
}

/** Buckets for fast operations (seconds). */
export const FAST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
