// The event catalog (docs/events.md): every event type declared in @ebb/contracts, its payload's
// fields, the service that publishes it and the inbox handlers that consume it, read from the code.
// `npm run events:catalog` writes it; a test fails when the file is not what the code says.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as contracts from '@ebb/contracts';
import type { EventType } from '@ebb/contracts';

const ROOT = path.resolve(__dirname, '../..');
export const CATALOG = path.join(ROOT, 'docs/events.md');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith('.ts') ? [full] : [];
  });
}

/** The event types by the name of the constant that declares them (`RefundSucceeded`), and the groups of them (`REFUND_EVENTS`). */
function declared(): { byConst: Map<string, EventType[]>; types: EventType[] } {
  const byConst = new Map<string, EventType[]>();
  for (const [name, value] of Object.entries(contracts)) {
    if (isEventType(value)) byConst.set(name, [value]);
    else if (value && typeof value === 'object' && Object.values(value).length > 0 && Object.values(value).every(isEventType)) {
      byConst.set(name, Object.values(value) as EventType[]);
    }
  }
  return { byConst, types: contracts.eventTypes() };
}

function isEventType(value: unknown): value is EventType {
  return typeof value === 'object' && value !== null && 'name' in value && 'schema' in value && typeof (value as EventType).of === 'function';
}

function aliasesIn(text: string): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const [, names] of text.matchAll(/import \{([^}]*)\} from '@ebb\/contracts'/g)) {
    for (const [, from, to] of names.matchAll(/(\w+) as (\w+)/g)) aliases.set(to, from);
  }
  return aliases;
}

/** `const X = { key: 'value', … }` of a file, as `X.key` → `value`. */
function constantsIn(text: string): Map<string, string> {
  const constants = new Map<string, string>();
  for (const [, object, body] of text.matchAll(/const (\w+) = \{([^}]*)\}/g)) {
    for (const [, key, value] of body.matchAll(/(\w+): '([^']+)'/g)) constants.set(`${object}.${key}`, value);
  }
  return constants;
}

export interface CatalogEntry {
  name: string;
  fields: string[];
  publishers: string[];
  consumers: string[];
}

/** Reads who publishes and who consumes each event type from the services' sources. */
export function catalog(): CatalogEntry[] {
  const { byConst, types } = declared();
  const publishers = new Map<string, Set<string>>();
  const consumers = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, types: EventType[] | undefined, who: string) => {
    for (const type of types ?? []) map.set(type.name, (map.get(type.name) ?? new Set()).add(who));
  };
  const apps = path.join(ROOT, 'apps');
  for (const app of readdirSync(apps)) {
    if (!statSync(path.join(apps, app, 'src'), { throwIfNoEntry: false })?.isDirectory()) continue;
    for (const file of sources(path.join(apps, app, 'src'))) {
      const text = readFileSync(file, 'utf8');
      // `import { PaymentDuplicateCaptured as Duplicate } from '@ebb/contracts'`: the alias names the same type
      const types = (name: string) => byConst.get(name) ?? byConst.get(aliasesIn(text).get(name) ?? '');
      // a handler named by a constant of the same file: `OrderHandlers.applyRefund` → `orders.apply-refund`
      const handlerName = (name: string) => (name.startsWith("'") ? name.slice(1, -1) : (constantsIn(text).get(name) ?? name));
      // written: addToOutbox(manager, RefundSucceeded, …), RefundSucceeded.of(…), REFUND_EVENTS[status].of(…)
      for (const [, name] of text.matchAll(/addToOutbox\(\s*\w+,\s*(\w+),/g)) add(publishers, types(name), app);
      for (const [, name] of text.matchAll(/\b(\w+)(?:\[[^\]]+\])?\.of\(/g)) add(publishers, types(name), app);
      // consumed: consumer.on(RefundSucceeded, 'orders.apply-refund', …), or a group: on(Object.values(REFUND_EVENTS), …)
      for (const [, type, handler] of text.matchAll(/\.on\(\s*(?:Object\.values\()?(\w+)\)?,\s*('[^']+'|\w+\.\w+)/g)) {
        add(consumers, types(type), `${app}: \`${handlerName(handler)}\``);
      }
    }
  }
  return types.map((type) => {
    const shape = (type.schema as unknown as { shape?: Record<string, unknown> }).shape ?? {};
    return {
      name: type.name,
      fields: Object.keys(shape),
      publishers: [...(publishers.get(type.name) ?? [])].sort(),
      consumers: [...(consumers.get(type.name) ?? [])].sort(),
    };
  });
}

export function renderCatalog(entries: CatalogEntry[]): string {
  const lines = [
    '# Events',
    '',
    'Generated from the code by `npm run events:catalog` (a test fails when this file is out of date): every',
    'event type declared with `defineEvent` in `libs/contracts/src/domain-events.ts`, the service whose code',
    'writes it to its outbox, and the inbox handlers (`consumer.on`) that consume it. Payloads are checked by',
    'their schema when written and when consumed; add fields freely, never remove or retype one.',
    '',
    '| event | payload fields | published by | consumed by |',
    '|---|---|---|---|',
  ];
  for (const entry of entries) {
    lines.push(`| \`${entry.name}\` | ${entry.fields.join(', ')} | ${entry.publishers.join(', ') || '—'} | ${entry.consumers.join('<br>') || '—'} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  writeFileSync(CATALOG, renderCatalog(catalog()));
  console.log(`wrote ${path.relative(ROOT, CATALOG)}`);
}
