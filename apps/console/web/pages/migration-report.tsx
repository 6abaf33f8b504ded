// A policy migration's report, one row a product: its window now and where it comes from, the window
// recommended with the rule and keywords behind it and how sure the model is, and what the run does
// (set, keep, conflict) or did. The report comes whole; this table pages and filters it in the URL.
import { Badge, Card, Code, Group, SegmentedControl, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { MigrationReportRow } from '../app/api-types';
import { percent } from '../app/format';
import { Empty, Pager } from '../app/ui';

export const REPORT_PAGE_SIZE = 50;
export const REPORT_ACTIONS = ['set', 'keep', 'conflict'] as const;
export type ReportAction = (typeof REPORT_ACTIONS)[number];

const ACTION_COLORS: Record<ReportAction, string> = { set: 'blue', keep: 'gray', conflict: 'red' };

export function MigrationReport(props: { rows: MigrationReportRow[]; action?: ReportAction; page: number; onFilter(action: ReportAction | undefined): void; onPage(page: number): void }) {
  const { t, i18n } = useTranslation();
  const shown = props.action ? props.rows.filter((row) => row.action === props.action) : props.rows;
  const start = props.page * REPORT_PAGE_SIZE;
  const rows = shown.slice(start, start + REPORT_PAGE_SIZE);
  return (
    <>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>{t('migration.report', { count: shown.length })}</Text>
        <SegmentedControl
          size="xs"
          value={props.action ?? 'all'}
          onChange={(value) => props.onFilter(value === 'all' ? undefined : (value as ReportAction))}
          data={[{ value: 'all', label: t('migration.allActions') }, ...REPORT_ACTIONS.map((value) => ({ value, label: t(`migration.action.${value}`) }))]}
        />
      </Group>
      <Card withBorder radius="md" p={0} style={{ overflowX: 'auto' }}>
        <Table verticalSpacing="xs" horizontalSpacing="md" striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('policies.product')}</Table.Th>
              <Table.Th>{t('policies.seller')}</Table.Th>
              <Table.Th>{t('migration.now')}</Table.Th>
              <Table.Th>{t('migration.recommended')}</Table.Th>
              <Table.Th>{t('migration.rule')}</Table.Th>
              <Table.Th>{t('migration.keywords')}</Table.Th>
              <Table.Th ta="right">{t('migration.confidence')}</Table.Th>
              <Table.Th>{t('migration.actionColumn')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.productId} data-testid={`report-row-${row.productId}`}>
                <Table.Td>
                  <Text size="sm">{row.title}</Text>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {row.productId}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {row.sellerId}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{t('policies.days', { count: row.currentWindowDays })}</Text>
                  <Text size="xs" c="dimmed">
                    {t(`policies.source.${row.currentSource}`)}
                  </Text>
                </Table.Td>
                <Table.Td data-testid="recommended">
                  <Text size="sm" fw={600}>
                    {t('policies.days', { count: row.recommendedWindowDays })}
                  </Text>
                </Table.Td>
                <Table.Td data-testid="rule">
                  <Code>{row.reason.rule}</Code>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{row.reason.keywords.join(', ') || '—'}</Text>
                </Table.Td>
                <Table.Td ta="right">{percent(i18n.language, row.confidence)}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={ACTION_COLORS[row.action]}>
                    {t(`migration.action.${row.action}`)}
                  </Badge>
                  {row.conflictRule && (
                    <Text size="xs" c="red">
                      {row.conflictRule}
                    </Text>
                  )}
                  {row.outcome && (
                    <Text size="xs" c="dimmed">
                      {t(`migration.outcome.${row.outcome}`)}
                    </Text>
                  )}
                  {row.rolledBack && (
                    <Text size="xs" c="dimmed">
                      {t(`migration.rolledBack.${row.rolledBack}`)}
                    </Text>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {rows.length === 0 && <Empty>{t('migration.emptyReport')}</Empty>}
      </Card>
      <Pager
        cursor={props.page > 0 ? String(props.page) : undefined}
        nextCursor={start + REPORT_PAGE_SIZE < shown.length ? String(props.page + 1) : null}
        onPage={(cursor) => props.onPage(cursor ? Number(cursor) : 0)}
      />
    </>
  );
}
