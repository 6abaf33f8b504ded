import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ALERT_RULES, prometheusConfig } from '../prometheus';

describe('the chaos run’s Prometheus config', () => {
  const config = prometheusConfig(
    [
      { job: 'refund-service', address: '127.0.0.1:23003' },
      { job: 'sandbox', address: '127.0.0.1:24010' },
    ],
    2,
  );

  it('scrapes every target’s /metrics and evaluates the rules as often, with the project’s own rule file', () => {
    const parsed = JSON.parse(config.replace(/^#.*\n/, ''));
    expect(parsed.global).toEqual({ scrape_interval: '2s', scrape_timeout: '1s', evaluation_interval: '2s' });
    expect(parsed.rule_files).toEqual([ALERT_RULES]);
    expect(ALERT_RULES).toMatch(/deploy\/monitoring\/alerts\.rules\.yml$/);
    expect(parsed.scrape_configs).toEqual([
      { job_name: 'refund-service', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:23003'] }] },
      { job_name: 'sandbox', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:24010'] }] },
    ]);
  });

  it('is a config promtool accepts, rules included', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ebb-chaos-promtool-'));
    try {
      const file = path.join(dir, 'prometheus.yml');
      writeFileSync(file, config);
      const out = execFileSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
      expect(out).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
