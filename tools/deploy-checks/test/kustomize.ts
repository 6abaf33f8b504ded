// Kustomize trees as the clusters get them: `kubectl kustomize <dir>`, one object per YAML document.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as YAML from 'yaml';

/** The repository root. */
export const root = join(__dirname, '..', '..', '..');
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export type Obj = Record<string, any>;

/** The objects `kubectl kustomize` renders for `dir` (relative to the repository root). */
export function render(dir: string): Obj[] {
  const out = execFileSync(KUBECTL, ['kustomize', join(root, dir)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return YAML.parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${dir}: ${doc.errors[0].message}`);
      return doc.toJSON() as Obj;
    })
    .filter((doc) => doc !== null);
}

export const ofKind = (objects: Obj[], ...kinds: string[]) => objects.filter((o) => kinds.includes(o.kind));
