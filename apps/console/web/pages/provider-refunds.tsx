// Provider refunds by status — above all those whose outcome is unknown: the provider could not say
// whether it paid. Look one up at the provider now, or resolve it by hand with a note.
import { useState } from 'react';
import { Button, Card, Group, Modal, Select, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { IconBuildingBank } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { Link, createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import { PROVIDER_REFUND_STATUSES, type ProviderRefund, type ProviderRefundStatus } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, oneOf, text } from '../app/search';
import { useAction } from '../app/use-action';
import { ApiErrorAlert, Empty, Money, PageHeader, Pager, StatusBadge, Time } from '../app/ui';

export const providerRefundsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/provider-refunds',
  validateSearch: (search: Record<string, unknown>): { status?: ProviderRefundStatus; cursor?: string } =>
    compact({ status: oneOf(search, 'status', PROVIDER_REFUND_STATUSES), cursor: text(search, 'cursor') }),
  component: ProviderRefundsPage,
});

export const providerRefundsNav: NavEntry = { to: '/provider-refunds', label: 'nav.providerRefunds', icon: IconBuildingBank, section: 'operations', roles: ['admin'] };

interface Resolution {
  refundId: string;
  outcome: 'succeeded' | 'failed';
  providerRefundId?: string;
  note: string;
}

function ProviderRefundsPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const search = providerRefundsRoute.useSearch();
  const status = search.status ?? 'outcome_unknown';
  const navigate = useNavigate({ from: providerRefundsRoute.fullPath });
  const [resolving, setResolving] = useState<ProviderRefund | undefined>();
  const [form, setForm] = useState<Omit<Resolution, 'refundId'>>({ outcome: 'succeeded', note: '' });

  const list = useQuery({
    queryKey: ['provider-refunds', status, search.cursor],
    queryFn: () => answerOf(api('payment').GET('/v1/admin/provider-refunds', { params: { query: compact({ status, limit: 50, cursor: search.cursor }) } })),
    retry: false,
  });
  const invalidate = [['provider-refunds'], ['home'], ['refund'], ['refunds']] as const;
  const sync = useAction((refundId: string, key: string) =>
    answerOf(api('payment').POST('/v1/admin/provider-refunds/{refundId}/sync', { params: { path: { refundId }, header: { 'Idempotency-Key': key } } })),
    { invalidate, done: (answer) => t('providerRefunds.synced', { id: answer.refund.refundId, status: t(`status.${answer.refund.status}`) }), failed: t('errors.refused') },
  );
  const resolve = useAction(({ refundId, ...body }: Resolution, key: string) =>
    answerOf(api('payment').POST('/v1/admin/provider-refunds/{refundId}/resolve', { params: { path: { refundId }, header: { 'Idempotency-Key': key } }, body: compact(body) })),
    { invalidate, done: (answer) => t('providerRefunds.resolved', { id: answer.refundId, status: t(`status.${answer.status}`) }), failed: t('errors.refused') },
  );
  const items = list.data?.items ?? [];

  return (
    <>
      <PageHeader
        title={t('providerRefunds.title')}
        description={t('providerRefunds.description')}
        actions={
          <Select
            aria-label={t('refunds.status')}
            data={PROVIDER_REFUND_STATUSES.map((value) => ({ value, label: t(`status.${value}`) }))}
            value={status}
            onChange={(value) => navigate({ search: compact({ status: (value as ProviderRefundStatus | null) ?? undefined }) })}
            allowDeselect={false}
            w={200}
          />
        }
      />
      <ApiErrorAlert error={list.error} />
      {list.data && (
        <Card withBorder radius="md" p={0} style={{ overflowX: "auto" }}>
          <Table verticalSpacing="xs" horizontalSpacing="md" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('refund.updated')}</Table.Th>
                <Table.Th>{t('refunds.refund')}</Table.Th>
                <Table.Th>{t('providerRefunds.provider')}</Table.Th>
                <Table.Th ta="right">{t('refunds.amount')}</Table.Th>
                <Table.Th>{t('providerRefunds.attempt')}</Table.Th>
                <Table.Th>{t('refunds.status')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((row) => (
                <Table.Tr key={row.refundId}>
                  <Table.Td>
                    <Time at={row.updatedAt} />
                  </Table.Td>
                  <Table.Td>
                    <Link to="/refunds/$refundId" params={{ refundId: row.refundId }}>
                      <Text size="sm" ff="monospace">
                        {row.refundId}
                      </Text>
                    </Link>
                    <Text size="xs" c="dimmed">
                      {row.providerRefundId ?? '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>{row.provider}</Table.Td>
                  <Table.Td ta="right">
                    <Money amount={row.amount} currency={row.currency} />
                  </Table.Td>
                  <Table.Td>{row.attempt}</Table.Td>
                  <Table.Td>
                    <StatusBadge status={row.status} />
                    {row.failureReason && (
                      <Text size="xs" c="red">
                        {row.failureReason}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      <Button size="xs" variant="light" loading={sync.pending} onClick={() => sync.run(row.refundId)}>
                        {t('providerRefunds.sync')}
                      </Button>
                      {row.status === 'outcome_unknown' && (
                        <Button size="xs" color="orange" variant="light" onClick={() => setResolving(row)}>
                          {t('providerRefunds.resolve')}
                        </Button>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {items.length === 0 && <Empty>{t('providerRefunds.empty')}</Empty>}
        </Card>
      )}
      <Pager cursor={search.cursor} nextCursor={list.data?.nextCursor} onPage={(cursor) => navigate({ search: compact({ status: search.status, cursor }) })} />
      <Modal opened={!!resolving} onClose={() => !resolve.pending && setResolving(undefined)} centered title={<Text fw={600}>{t('providerRefunds.resolveTitle', { id: resolving?.refundId })}</Text>}>
        <Stack>
          <Text size="sm">{t('providerRefunds.resolveMessage')}</Text>
          <Select
            label={t('providerRefunds.outcome')}
            data={[
              { value: 'succeeded', label: t('status.succeeded') },
              { value: 'failed', label: t('status.failed') },
            ]}
            value={form.outcome}
            onChange={(value) => setForm({ ...form, outcome: value === 'failed' ? 'failed' : 'succeeded' })}
            allowDeselect={false}
          />
          <TextInput label={t('providerRefunds.providerRefundId')} value={form.providerRefundId ?? ''} onChange={(event) => setForm({ ...form, providerRefundId: event.currentTarget.value || undefined })} />
          <Textarea label={t('common.note')} required value={form.note} onChange={(event) => setForm({ ...form, note: event.currentTarget.value })} autosize minRows={2} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setResolving(undefined)} disabled={resolve.pending}>
              {t('common.cancel')}
            </Button>
            <Button
              color="orange"
              loading={resolve.pending}
              disabled={!form.note.trim()}
              onClick={async () => {
                if (!resolving) return;
                if (await resolve.run({ refundId: resolving.refundId, ...form, note: form.note.trim() })) setResolving(undefined);
              }}
            >
              {t('providerRefunds.resolve')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
