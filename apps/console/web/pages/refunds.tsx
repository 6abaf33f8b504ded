// Refunds: search by order, customer, status and the day they were asked for; oldest or newest
// first, paged by the API's cursor; every filter, the page and the sort in the URL.
import { Button, Card, Group, Select, Table, Text, TextInput, UnstyledButton } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconReceiptRefund, IconSearch } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import { REFUND_STATUSES, type RefundItem, type RefundStatus } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { OperatorsOnly } from '../app/gate';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, day, oneOf, sortRows, startOfDay, startOfNextDay, text } from '../app/search';
import { ApiErrorAlert, Empty, Money, PageHeader, Pager, RefundLink, StatusBadge, Time } from '../app/ui';

const COLUMNS = ['createdAt', 'amount', 'status'] as const;
type Column = (typeof COLUMNS)[number];

export interface RefundsSearch {
  orderId?: string;
  customerId?: string;
  status?: RefundStatus;
  from?: string;
  to?: string;
  order?: 'oldest' | 'newest';
  sort?: Column;
  dir?: 'asc' | 'desc';
  cursor?: string;
}

export const refundsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/refunds',
  validateSearch: (search: Record<string, unknown>): RefundsSearch =>
    compact({
      orderId: text(search, 'orderId'),
      customerId: text(search, 'customerId'),
      status: oneOf(search, 'status', REFUND_STATUSES),
      from: day(search, 'from'),
      to: day(search, 'to'),
      order: oneOf(search, 'order', ['oldest', 'newest'] as const),
      sort: oneOf(search, 'sort', COLUMNS),
      dir: oneOf(search, 'dir', ['asc', 'desc'] as const),
      cursor: text(search, 'cursor'),
    }),
  component: () => (
    <OperatorsOnly>
      <RefundsPage />
    </OperatorsOnly>
  ),
});

export const refundsNav: NavEntry = { to: '/refunds', label: 'nav.refunds', icon: IconReceiptRefund, section: 'work', roles: ['support', 'admin'] };

const sortKey: Record<Column, (row: RefundItem) => string | number> = {
  createdAt: (row) => row.createdAt,
  amount: (row) => row.amount,
  status: (row) => row.status,
};

function RefundsPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const search = refundsRoute.useSearch();
  const navigate = useNavigate({ from: refundsRoute.fullPath });
  const [draft, setDraft] = useState({ orderId: search.orderId ?? '', customerId: search.customerId ?? '' });

  const query = useQuery({
    queryKey: ['refunds', search.orderId, search.customerId, search.status, search.from, search.to, search.order, search.cursor],
    queryFn: () =>
      answerOf(
        api('refund').GET('/v1/refunds', {
          params: {
            query: compact({
              orderId: search.orderId,
              customerId: search.customerId,
              status: search.status,
              createdFrom: search.from && startOfDay(search.from),
              createdBefore: search.to && startOfNextDay(search.to),
              sort: search.order,
              cursor: search.cursor,
              limit: 25,
            }),
          },
        }),
      ),
  });
  const set = (changes: Partial<RefundsSearch>) => navigate({ search: (previous: RefundsSearch) => compact({ ...previous, cursor: undefined, ...changes }) });
  const rows = sortRows(query.data?.items ?? [], search.sort && sortKey[search.sort], search.dir ?? 'asc');
  const header = (column: Column, label: string) => (
    <UnstyledButton
      onClick={() => set({ sort: column, dir: search.sort === column && search.dir !== 'desc' ? 'desc' : 'asc', cursor: search.cursor })}
      aria-label={t('table.sortBy', { column: label })}
    >
      <Group gap={4} wrap="nowrap">
        <Text fw={600} size="sm">
          {label}
        </Text>
        {search.sort === column && (search.dir === 'desc' ? <IconArrowDown size={14} /> : <IconArrowUp size={14} />)}
      </Group>
    </UnstyledButton>
  );

  return (
    <>
      <PageHeader title={t('refunds.title')} description={t('refunds.description')} />
      <Card withBorder radius="md" mb="md">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            set({ orderId: draft.orderId.trim() || undefined, customerId: draft.customerId.trim() || undefined });
          }}
        >
          <Group align="flex-end" gap="sm">
            <TextInput label={t('refunds.orderId')} value={draft.orderId} onChange={(event) => setDraft({ ...draft, orderId: event.currentTarget.value })} w={200} />
            <TextInput label={t('refunds.customerId')} value={draft.customerId} onChange={(event) => setDraft({ ...draft, customerId: event.currentTarget.value })} w={200} />
            <Select
              label={t('refunds.status')}
              clearable
              data={REFUND_STATUSES.map((status) => ({ value: status, label: t(`status.${status}`) }))}
              value={search.status ?? null}
              onChange={(value) => set({ status: (value as RefundStatus | null) ?? undefined })}
              w={180}
            />
            <TextInput type="date" label={t('refunds.from')} value={search.from ?? ''} onChange={(event) => set({ from: event.currentTarget.value || undefined })} w={160} />
            <TextInput type="date" label={t('refunds.to')} value={search.to ?? ''} onChange={(event) => set({ to: event.currentTarget.value || undefined })} w={160} />
            <Select
              label={t('refunds.order')}
              data={[
                { value: 'oldest', label: t('refunds.oldestFirst') },
                { value: 'newest', label: t('refunds.newestFirst') },
              ]}
              value={search.order ?? 'oldest'}
              onChange={(value) => set({ order: value === 'newest' ? 'newest' : undefined })}
              allowDeselect={false}
              w={150}
            />
            <Button type="submit" leftSection={<IconSearch size={16} />}>
              {t('common.search')}
            </Button>
          </Group>
        </form>
      </Card>
      <ApiErrorAlert error={query.error} />
      <Card withBorder radius="md" p={0} style={{ overflowX: "auto" }}>
        <Table striped highlightOnHover verticalSpacing="xs" horizontalSpacing="md">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{header('createdAt', t('refunds.created'))}</Table.Th>
              <Table.Th>{t('refunds.refund')}</Table.Th>
              <Table.Th>{t('refunds.orderId')}</Table.Th>
              <Table.Th>{header('status', t('refunds.status'))}</Table.Th>
              <Table.Th ta="right">{header('amount', t('refunds.amount'))}</Table.Th>
              <Table.Th>{t('refunds.reason')}</Table.Th>
              <Table.Th>{t('refunds.initiator')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((refund) => (
              <Table.Tr key={refund.id}>
                <Table.Td>
                  <Time at={refund.createdAt} />
                </Table.Td>
                <Table.Td>
                  <RefundLink id={refund.id} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm" ff="monospace">
                    {refund.orderId}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <StatusBadge status={refund.status} />
                </Table.Td>
                <Table.Td ta="right">
                  <Money amount={refund.amount} currency={refund.currency} />
                </Table.Td>
                <Table.Td>{t(`reason.${refund.reason}`, { defaultValue: refund.reason })}</Table.Td>
                <Table.Td>{t(`initiator.${refund.initiator}`, { defaultValue: refund.initiator })}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {query.isSuccess && rows.length === 0 && <Empty>{t('refunds.none')}</Empty>}
      </Card>
      <Pager cursor={search.cursor} nextCursor={query.data?.nextCursor} onPage={(cursor) => navigate({ search: (previous: RefundsSearch) => compact({ ...previous, cursor }) })} />
    </>
  );
}
