// A seeded random source, so one --seed gives the same schedule and the same workload every time.

export interface Random {
  /** A number in [0, 1). */
  next(): number;
  /** An integer in [from, to]. */
  int(from: number, to: number): number;
  /** A copy of `items` in a random order. */
  shuffle<T>(items: readonly T[]): T[];
  /** One of `items`, each as likely as its weight. */
  weighted<T>(items: readonly { value: T; weight: number }[]): T;
}

/** mulberry32: small, fast and good enough to spread faults and flows; not for secrets. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (from, to) => from + Math.floor(next() * (to - from + 1)),
    shuffle: (items) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j], copy[i]];
      }
      return copy;
    },
    weighted: (items) => {
      const total = items.reduce((sum, item) => sum + item.weight, 0);
      let pick = next() * total;
      for (const item of items) {
        pick -= item.weight;
        if (pick < 0) return item.value;
      }
      return items[items.length - 1].value;
    },
  };
}
