/**
 * A named place where a test may have the process killed (SIGKILL), to prove that a crash there
 * loses nothing: `EBB_CRASH_AT=relay.before-publish`. Never active in production.
 */
export function crashPoint(name: string): void {
  const wanted = process.env.EBB_CRASH_AT;
  if (!wanted || process.env.NODE_ENV === 'production') return;
  if (wanted.split(',').map((s) => s.trim()).includes(name)) {
    process.stderr.write(`crash point reached: ${name}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
