// Copies the monitoring sources of deploy/monitoring into k8s/monitoring, where kustomize can load them
// without --load-restrictor LoadRestrictionsNone:
//   deploy/monitoring/alerts.rules.yml            → k8s/monitoring/prometheus-rule.yaml (PrometheusRule, same groups)
//   deploy/monitoring/grafana/dashboards/ebb.json → k8s/monitoring/dashboards/ebb.json (configMapGenerator input)
// Run: node -r ./tools/register.js tools/rollout/sync-monitoring.ts   (deploy-checks fails while they differ)
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as YAML from 'yaml';

const root = join(__dirname, '..', '..');

export function prometheusRuleFrom(rulesText: string): string {
  const groups = YAML.parse(rulesText)?.groups;
  if (!Array.isArray(groups)) throw new Error('deploy/monitoring/alerts.rules.yml has no groups list');
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'ebb-alerts', labels: { 'app.kubernetes.io/part-of': 'ebb', release: 'prometheus' } },
    spec: { groups },
  };
  const header = '# GENERATED from deploy/monitoring/alerts.rules.yml by tools/rollout/sync-monitoring.ts: do not edit.\n';
  return header + YAML.stringify(rule);
}

if (require.main === module) {
  const rules = readFileSync(join(root, 'deploy/monitoring/alerts.rules.yml'), 'utf8');
  writeFileSync(join(root, 'k8s/monitoring/prometheus-rule.yaml'), prometheusRuleFrom(rules));
  copyFileSync(join(root, 'deploy/monitoring/grafana/dashboards/ebb.json'), join(root, 'k8s/monitoring/dashboards/ebb.json'));
  process.stdout.write('k8s/monitoring synced from deploy/monitoring\n');
}
