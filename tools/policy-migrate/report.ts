import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';

/** One product of a run's report, as GET /v1/admin/policy-migrations/:id answers it. */
export interface ReportRow {
  productId: string;
  sellerId: string;
  title: string;
  currentWindowDays: number;
  currentSource: string;
  recommendedWindowDays: number;
  confidence: number;
  reason: { rule: string; keywords: string[] };
  action: string;
  conflictRule?: string;
  outcome?: string;
  rolledBack?: string;
}

export interface Run {
  id: string;
  mode: string;
  status: string;
  counts: Record<string, number>;
  error: string | null;
  report: ReportRow[];
}

const COLUMNS = ['productId', 'sellerId', 'title', 'currentWindowDays', 'currentSource', 'recommendedWindowDays', 'confidence', 'rule', 'keywords', 'action', 'conflictRule', 'outcome', 'rolledBack'];

/** The report as CSV: a header, then one line per product in the run's order (keywords joined by "|"). */
export function reportCsv(report: ReportRow[]): string {
  return stringify(
    report.map((row) => [
      row.productId,
      row.sellerId,
      row.title,
      row.currentWindowDays,
      row.currentSource,
      row.recommendedWindowDays,
      row.confidence,
      row.reason.rule,
      row.reason.keywords.join('|'),
      row.action,
      row.conflictRule ?? '',
      row.outcome ?? '',
      row.rolledBack ?? '',
    ]),
    { header: true, columns: COLUMNS },
  );
}

/** Writes the report as CSV at `csvPath` and the run as JSON beside it (same name, .json); answers both paths. */
export function writeReport(run: Run, csvPath: string): { csv: string; json: string } {
  const json = csvPath.replace(/\.csv$/i, '') + '.json';
  writeFileSync(csvPath, reportCsv(run.report));
  writeFileSync(json, `${JSON.stringify({ id: run.id, mode: run.mode, status: run.status, counts: run.counts, report: run.report }, null, 2)}\n`);
  return { csv: csvPath, json };
}
