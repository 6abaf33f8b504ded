import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CommitSignal } from '@ebb/persistence';

export const OUTBOX_NOTIFY_CHANNEL = 'ebb_outbox';

/** At most one NOTIFY per this interval per process: each one serialises commits in PostgreSQL. */
const NOTIFY_INTERVAL_MS = 20;

const notifying = new WeakSet<DataSource>();
const tokens = new WeakMap<DataSource, string>();
const leading = new WeakMap<DataSource, Set<() => boolean>>();

/**
 * A relay of this process tells whether it is the one that publishes for the data source's database:
 * while it is, commits need no NOTIFY (the commit signal woke it). Returns the unregister.
 */
export function relayHere(dataSource: DataSource, publishes: () => boolean): () => void {
  let relays = leading.get(dataSource);
  if (!relays) leading.set(dataSource, (relays = new Set()));
  relays.add(publishes);
  return () => relays.delete(publishes);
}

const publishedHere = (dataSource: DataSource) => [...(leading.get(dataSource) ?? [])].some((publishes) => publishes());

/**
 * The payload of this data source's NOTIFYs. Its own relay already woke on the commit signal of the
 * same commit, so it ignores a NOTIFY carrying it: without that every commit cost one empty relay pass.
 */
export function outboxNotifyToken(dataSource: DataSource): string {
  let token = tokens.get(dataSource);
  if (!token) {
    token = randomUUID();
    tokens.set(dataSource, token);
  }
  return token;
}

/**
 * The commit signal of outbox writes: a relay in this process hears it at once, and relays elsewhere
 * hear a NOTIFY on `ebb_outbox`, coalesced so a busy writer sends a few per second rather than one per
 * commit (a NOTIFY per commit halved the commit rate in the outbox benchmark), and none while the
 * relay that publishes is this process's own.
 */
export function outboxCommits(dataSource: DataSource): CommitSignal {
  const signal = CommitSignal.for(dataSource, 'outbox');
  if (!notifying.has(dataSource)) {
    notifying.add(dataSource);
    signal.onCommit(coalescedNotify(dataSource));
  }
  return signal;
}

function coalescedNotify(dataSource: DataSource): () => void {
  let lastNotify = 0;
  let trailing: NodeJS.Timeout | undefined;
  const send = () => {
    lastNotify = Date.now();
    if (!dataSource.isInitialized || publishedHere(dataSource)) return;
    // a lost NOTIFY only delays publishing until the relays' next poll
    dataSource.query(`SELECT pg_notify($1, $2)`, [OUTBOX_NOTIFY_CHANNEL, outboxNotifyToken(dataSource)]).catch(() => undefined);
  };
  return () => {
    const sinceLast = Date.now() - lastNotify;
    if (sinceLast >= NOTIFY_INTERVAL_MS) {
      send();
    } else if (!trailing) {
      // commits inside the interval share one trailing NOTIFY, so none goes unannounced
      trailing = setTimeout(() => {
        trailing = undefined;
        send();
      }, NOTIFY_INTERVAL_MS - sinceLast);
      trailing.unref();
    }
  };
}
