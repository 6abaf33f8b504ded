// How many cases each property tries: few in `npm test` (fast, and the seed is fixed so a run is
// repeatable), as many as asked under `npm run fuzz -- --runs N [--seed S]`.
import fc from 'fast-check';

/** The runs and seed of this session: FUZZ_RUNS / FUZZ_SEED when set, else the suite's defaults. */
export function fuzzParameters<T>(defaultRuns: number): fc.Parameters<T> {
  const runs = Number(process.env.FUZZ_RUNS);
  const seed = Number(process.env.FUZZ_SEED);
  return {
    numRuns: Number.isInteger(runs) && runs > 0 ? runs : defaultRuns,
    seed: Number.isInteger(seed) ? seed : 20261201,
    // a failing case against a live platform is slow to shrink, and shrinking past a few steps rarely helps
    endOnFailure: false,
    maxSkipsPerRun: 10,
    verbose: fc.VerbosityLevel.Verbose,
  };
}

/** Long enough for the runs asked for: about half a second a case, on top of the platform's start. */
export function fuzzTimeout(defaultRuns: number, msPerRun = 600): number {
  const runs = fuzzParameters(defaultRuns).numRuns ?? defaultRuns;
  return 120_000 + runs * msPerRun;
}
