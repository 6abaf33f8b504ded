// Every object the Kustomize trees render validates against the schema of its apiVersion and kind
// (kubernetes-models for Kubernetes, Argo Rollouts and prometheus-operator), and docker-compose.yml against
// the Compose specification. deploy.spec.ts checks what the objects mean; this proves they are well-formed.
// The Kubernetes schemas accept unknown fields (as the API server does without --validate=strict): a
// misspelt key is not caught here, a wrong type, a missing required field or an unknown kind is.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv from 'ajv';
import * as YAML from 'yaml';
import * as kubernetes from 'kubernetes-models';
import * as argoRollouts from '@kubernetes-models/argo-rollouts';
import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import { type Obj, ofKind, render, root } from './kustomize';

const TREES = ['k8s/overlays/staging', 'k8s/overlays/production', 'k8s/monitoring', 'k8s/canary-plain'];

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: Obj): { validate(): void };
}

const isModel = (value: unknown): value is ModelClass =>
  typeof value === 'function' && typeof (value as Partial<ModelClass>).apiVersion === 'string' && typeof (value as Partial<ModelClass>).kind === 'string';

/** `<apiVersion> <kind>` → its model class, for every group and version the packages export. */
function modelsOf(...packages: object[]): Map<string, ModelClass> {
  const models = new Map<string, ModelClass>();
  const seen = new Set<object>(); // module namespaces may point back at themselves (default export)
  const visit = (namespace: object) => {
    if (seen.has(namespace)) return;
    seen.add(namespace);
    for (const value of Object.values(namespace)) {
      if (isModel(value)) models.set(`${value.apiVersion} ${value.kind}`, value);
      else if (value !== null && typeof value === 'object') visit(value);
    }
  };
  packages.forEach(visit);
  return models;
}

const MODELS = modelsOf(kubernetes, argoRollouts, prometheusOperator);

/** Throws when the object's apiVersion and kind have no schema, or when the object does not fit it. */
function validateObject(o: Obj): void {
  const Model = MODELS.get(`${o.apiVersion} ${o.kind}`);
  if (!Model) throw new Error(`no schema for apiVersion ${o.apiVersion}, kind ${o.kind}`);
  new Model(o).validate();
}

/** `<kind>/<name>: <what is wrong>` for each object that does not validate. */
function invalid(objects: Obj[]): string[] {
  return objects.flatMap((o) => {
    try {
      validateObject(o);
      return [];
    } catch (error) {
      return [`${o.kind}/${o.metadata?.name}: ${(error as Error).message}`];
    }
  });
}

describe('Kubernetes objects against their schemas (kubernetes-models)', () => {
  it.each(TREES)('%s: every rendered object validates against the schema of its apiVersion and kind', (dir) => {
    const objects = render(dir);
    expect(objects.length).toBeGreaterThan(0);
    expect(invalid(objects)).toEqual([]);
  });

  it('fails an object whose apiVersion and kind have no schema, so nothing passes unvalidated', () => {
    const metadata = { name: 'refund-service' };
    expect(invalid([{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rolout', metadata }])).toEqual([
      'Rolout/refund-service: no schema for apiVersion argoproj.io/v1alpha1, kind Rolout',
    ]);
    expect(invalid([{ apiVersion: 'apps/v2', kind: 'Deployment', metadata }])).toHaveLength(1);
    expect(invalid([{ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitors', metadata }])).toHaveLength(1);
  });

  describe('fails objects that do not fit their schema', () => {
    let production: Obj[];
    beforeAll(() => {
      production = render('k8s/overlays/production');
    });
    const changed = (kind: string, change: (o: Obj) => void) => {
      const o = structuredClone(ofKind(production, kind)[0]);
      change(o);
      return o;
    };

    it('a Deployment whose spec.replicas is the string "two", or that has no spec.selector', () => {
      expect(() => validateObject(changed('Deployment', () => undefined))).not.toThrow();
      expect(() => validateObject(changed('Deployment', (d) => (d.spec.replicas = 'two')))).toThrow(/spec\/replicas must be integer/);
      expect(() => validateObject(changed('Deployment', (d) => delete d.spec.selector))).toThrow(/spec must have required property selector/);
    });

    it('a Rollout with a canary step setting the weight to "ten", or naming its analysis templates as a string', () => {
      expect(() => validateObject(changed('Rollout', () => undefined))).not.toThrow();
      expect(() => validateObject(changed('Rollout', (r) => (r.spec.strategy.canary.steps[0] = { setWeight: 'ten' })))).toThrow(
        /canary\/steps\/0\/setWeight must be integer/,
      );
      const analysisStep = (r: Obj) => r.spec.strategy.canary.steps.find((s: Obj) => s.analysis);
      expect(() => validateObject(changed('Rollout', (r) => (analysisStep(r).analysis.templates = 'refund-canary-health')))).toThrow(
        /analysis\/templates must be array/,
      );
    });

    it('a PrometheusRule whose rule has no expr', () => {
      const rule = structuredClone(ofKind(render('k8s/monitoring'), 'PrometheusRule')[0]);
      expect(() => validateObject(rule)).not.toThrow();
      delete rule.spec.groups[0].rules[0].expr;
      expect(() => validateObject(rule)).toThrow(/rules\/0 must have required property expr/);
    });
  });
});

describe('docker-compose.yml against the Compose specification', () => {
  // the compose-spec JSON schema (draft-07) as the Compose linter dclint ships it
  const schema = JSON.parse(readFileSync(join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json'), 'utf8'));
  delete schema.$schema; // spelt https://json-schema.org/draft-07/schema, an id ajv does not know; draft-07 is ajv's default
  // the schema writes union types and type-less object keywords, which strictTypes would only warn about
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  const validate = ajv.compile(schema);
  const errorsOf = (compose: Obj) => (validate(compose) ? [] : ajv.errorsText(validate.errors, { separator: '\n' }).split('\n'));
  const compose: Obj = YAML.parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'));

  it('validates against the Compose specification schema', () => {
    expect(errorsOf(compose)).toEqual([]);
  });

  it('fails an unknown depends_on condition, an unknown top-level key and a healthcheck test that is neither a string nor a list', () => {
    const bogus = structuredClone(compose);
    bogus.services['refund-service'].depends_on.postgres.condition = 'bogus';
    expect(errorsOf(bogus)).toContain('data/services/refund-service/depends_on/postgres/condition must be equal to one of the allowed values');

    expect(errorsOf({ ...compose, service: compose.services })).toContain('data must NOT have additional properties');

    const healthcheck = structuredClone(compose);
    healthcheck.services.postgres.healthcheck.test = 42;
    expect(errorsOf(healthcheck).join('\n')).toMatch(/services\/postgres\/healthcheck\/test must be/);
  });
});
