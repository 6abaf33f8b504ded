// Differences between Ebb and a payment provider, one row each: what kind, about which payment or
// refund, the amounts and statuses on each side, and how it was settled. One still open is resolved by
// a person with a note saying what they found and did (asked first, sent with its Idempotency-Key).
import { Badge, Card, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import type { DifferenceKind, ReconciliationDifference } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { useAction } from '../app/use-action';
import { ConfirmButton, Empty, Money, RefundLink, StatusBadge } from '../app/ui';

export const KIND_COLORS: Record<DifferenceKind, string> = { missing_in_ebb: 'red', missing_at_provider: 'orange', amount_mismatch: 'grape', status_mismatch: 'yellow' };

type Row = ReconciliationDifference & { date?: string };

function Amount({ amount, currency }: { amount?: number; currency?: string }) {
  if (amount === undefined) return <>—</>;
  return currency ? <Money amount={amount} currency={currency} /> : <Text span ff="monospace">{amount}</Text>;
}

export function DifferenceTable({ rows, showDate = false }: { rows: Row[]; showDate?: boolean }) {
  const { t } = useTranslation();
  const { api } = useConsole();
  const resolve = useAction(
    ({ id, note }: { id: string; note: string }, key: string) =>
      answerOf(api('payment').POST('/v1/admin/reconciliation-differences/{id}/resolve', { params: { path: { id }, header: { 'Idempotency-Key': key } }, body: { note } })),
    { invalidate: [['reconciliation'], ['differences'], ['home']], done: (answer) => t('reconciliation.resolved', { id: answer.id }), failed: t('errors.refused') },
  );
  return (
    <Card withBorder radius="md" p={0} style={{ overflowX: 'auto' }}>
      <Table verticalSpacing="xs" horizontalSpacing="md" striped>
        <Table.Thead>
          <Table.Tr>
            {showDate && <Table.Th>{t('reconciliation.date')}</Table.Th>}
            <Table.Th>{t('reconciliation.kind')}</Table.Th>
            <Table.Th>{t('reconciliation.about')}</Table.Th>
            <Table.Th ta="right">{t('reconciliation.ebbAmount')}</Table.Th>
            <Table.Th ta="right">{t('reconciliation.providerAmount')}</Table.Th>
            <Table.Th>{t('reconciliation.statuses')}</Table.Th>
            <Table.Th>{t('reconciliation.resolution')}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={row.id} data-testid={`difference-${row.id}`}>
              {showDate && <Table.Td>{row.date}</Table.Td>}
              <Table.Td>
                <Badge variant="light" color={KIND_COLORS[row.kind]} data-testid="difference-kind">
                  {t(`reconciliation.kinds.${row.kind}`)}
                </Badge>
                <Text size="xs" c="dimmed">
                  {t(`reconciliation.objects.${row.object}`)} · {row.provider}
                </Text>
              </Table.Td>
              <Table.Td>
                <Stack gap={0}>
                  {row.refundId && <RefundLink id={row.refundId} />}
                  {row.paymentId && (
                    <Text size="sm" ff="monospace">
                      {row.paymentId}
                    </Text>
                  )}
                  <Text size="xs" c="dimmed" ff="monospace">
                    {row.providerRefundId ?? row.providerPaymentId ?? ''}
                  </Text>
                </Stack>
              </Table.Td>
              <Table.Td ta="right">
                <Amount amount={row.ebbAmount} currency={row.currency} />
              </Table.Td>
              <Table.Td ta="right">
                <Amount amount={row.providerAmount} currency={row.currency} />
              </Table.Td>
              <Table.Td>
                <Text size="sm">
                  {row.ebbStatus ?? '—'} / {row.providerStatus ?? '—'}
                </Text>
              </Table.Td>
              <Table.Td>
                <StatusBadge status={row.resolution} />
                {row.note && (
                  <Text size="xs" c="dimmed">
                    {row.note}
                    {row.resolvedBy && ` — ${row.resolvedBy}`}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {row.resolution === 'open' && (
                  <ConfirmButton
                    label={t('reconciliation.resolve')}
                    title={t('reconciliation.resolveTitle', { kind: t(`reconciliation.kinds.${row.kind}`) })}
                    message={t('reconciliation.resolveMessage')}
                    confirmLabel={t('reconciliation.resolve')}
                    color="orange"
                    note="required"
                    testId={`resolve-${row.id}`}
                    onConfirm={(note) => resolve.run({ id: row.id, note: note ?? '' })}
                  />
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {rows.length === 0 && <Empty>{t('reconciliation.noDifferences')}</Empty>}
    </Card>
  );
}
