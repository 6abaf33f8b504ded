// Returns: parcels on their way back (mark them received) and returns being inspected (pass or fail
// them, with a note). Which of the two in the URL.
import { Card, Group, SegmentedControl, Table, Text } from '@mantine/core';
import { IconPackageImport } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import { useConsole } from '../app/console-context';
import { OperatorsOnly } from '../app/gate';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, oneOf, text } from '../app/search';
import { Age, ApiErrorAlert, RefundLink, Empty, Money, PageHeader, Pager, StatusBadge, Time } from '../app/ui';
import { RefundActions } from './refund-detail';

const STAGES = ['awaiting_return', 'inspecting'] as const;
type Stage = (typeof STAGES)[number];

export const returnsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/returns',
  validateSearch: (search: Record<string, unknown>): { stage?: Stage; cursor?: string } =>
    compact({ stage: oneOf(search, 'stage', STAGES), cursor: text(search, 'cursor') }),
  component: () => (
    <OperatorsOnly>
      <ReturnsPage />
    </OperatorsOnly>
  ),
});

export const returnsNav: NavEntry = { to: '/returns', label: 'nav.returns', icon: IconPackageImport, section: 'work', roles: ['support', 'admin'] };

function ReturnsPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const search = returnsRoute.useSearch();
  const stage = search.stage ?? 'inspecting';
  const navigate = useNavigate({ from: returnsRoute.fullPath });
  const list = useQuery({
    queryKey: ['returns', stage, search.cursor],
    queryFn: () => answerOf(api('refund').GET('/v1/refunds', { params: { query: compact({ status: stage, limit: 50, cursor: search.cursor }) } })),
  });
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader
        title={t('returns.title')}
        description={t('returns.description')}
        actions={
          <SegmentedControl
            value={stage}
            onChange={(value) => navigate({ search: { stage: value as Stage } })}
            data={STAGES.map((value) => ({ value, label: t(`returns.${value}`) }))}
          />
        }
      />
      <ApiErrorAlert error={list.error} />
      <Card withBorder radius="md" p={0} style={{ overflowX: "auto" }}>
        <Table highlightOnHover verticalSpacing="xs" horizontalSpacing="md">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('review.waiting')}</Table.Th>
              <Table.Th>{t('refunds.refund')}</Table.Th>
              <Table.Th>{t('refunds.status')}</Table.Th>
              <Table.Th ta="right">{t('refunds.amount')}</Table.Th>
              <Table.Th>{t('refund.items')}</Table.Th>
              <Table.Th>{t('refund.updated')}</Table.Th>
              <Table.Th>{t('review.decide')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((refund) => (
              <Table.Tr key={refund.id} data-testid={`return-row-${refund.id}`}>
                <Table.Td>
                  <Age seconds={refund.ageSeconds} />
                </Table.Td>
                <Table.Td>
                  <RefundLink id={refund.id} orderId={refund.orderId} />
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={refund.status} />
                </Table.Td>
                <Table.Td ta="right">
                  <Money amount={refund.amount} currency={refund.currency} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm">{(refund.items ?? []).map((item) => `${item.sku} × ${item.quantity}`).join(', ') || '—'}</Text>
                </Table.Td>
                <Table.Td>
                  <Time at={refund.updatedAt} />
                </Table.Td>
                <Table.Td>
                  <Group gap="xs">
                    <RefundActions refund={refund} compact />
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {list.isSuccess && items.length === 0 && <Empty>{t('returns.empty')}</Empty>}
      </Card>
      <Pager cursor={search.cursor} nextCursor={list.data?.nextCursor} onPage={(cursor) => navigate({ search: compact({ stage: search.stage, cursor }) })} />
    </>
  );
}
