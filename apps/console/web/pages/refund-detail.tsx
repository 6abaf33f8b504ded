// One refund: what it is, its whole history, the order it belongs to, the provider's refund, the
// notifications sent, and the actions its status allows.
import { Anchor, Card, Grid, Group, Stack, Table, Text, Timeline, Title } from '@mantine/core';
import { IconCircleCheck, IconCircleDot } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { Link, createRoute } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import type { Refund } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { OperatorsOnly } from '../app/gate';
import { useRefundDecision } from '../app/refund-actions';
import { rootRoute } from '../app/root';
import { ApiErrorAlert, ConfirmButton, Empty, Money, PageHeader, StatusBadge, Time } from '../app/ui';

export const refundDetailRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/refunds/$refundId',
  component: () => (
    <OperatorsOnly>
      <RefundDetailPage />
    </OperatorsOnly>
  ),
});

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </div>
  );
}

function RefundDetailPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const { refundId } = refundDetailRoute.useParams();
  const refund = useQuery({ queryKey: ['refund', refundId], queryFn: () => answerOf(api('refund').GET('/v1/refunds/{id}', { params: { path: { id: refundId } } })) });
  const orderId = refund.data?.orderId;
  const order = useQuery({
    queryKey: ['order', orderId],
    enabled: !!orderId,
    queryFn: () => answerOf(api('order').GET('/v1/orders/{id}', { params: { path: { id: orderId! } } })),
  });
  const notifications = useQuery({
    queryKey: ['refund', refundId, 'notifications'],
    queryFn: () => answerOf(api('notification').GET('/v1/notifications', { params: { query: { refundId } } })),
  });

  if (refund.error) return <ApiErrorAlert error={refund.error} />;
  if (!refund.data) return null;
  const r = refund.data;
  return (
    <>
      <PageHeader
        title={t('refund.title', { id: r.id })}
        description={
          <Group gap="xs">
            <StatusBadge status={r.status} />
            <Money amount={r.amount} currency={r.currency} />
            <Text size="sm" c="dimmed">
              · {t(`reason.${r.reason}`, { defaultValue: r.reason })} · {t(`initiator.${r.initiator}`, { defaultValue: r.initiator })}
            </Text>
          </Group>
        }
        actions={<RefundActions refund={r} />}
      />
      <Grid>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card withBorder radius="md" mb="md">
            <Title order={4} mb="sm">
              {t('refund.history')}
            </Title>
            <Timeline active={r.history.length - 1} bulletSize={22} lineWidth={2}>
              {r.history.map((entry, index) => (
                <Timeline.Item
                  key={`${entry.at}-${index}`}
                  bullet={index === r.history.length - 1 ? <IconCircleDot size={14} /> : <IconCircleCheck size={14} />}
                  title={<StatusBadge status={entry.status} />}
                >
                  <Text size="xs" c="dimmed">
                    <Time at={entry.at} /> · {entry.actor}
                  </Text>
                  {entry.note && <Text size="sm">{entry.note}</Text>}
                </Timeline.Item>
              ))}
            </Timeline>
          </Card>
          <Card withBorder radius="md">
            <Title order={4} mb="sm">
              {t('refund.notifications')}
            </Title>
            <ApiErrorAlert error={notifications.error} />
            {notifications.data && notifications.data.items.length === 0 && <Empty>{t('refund.noNotifications')}</Empty>}
            {notifications.data && notifications.data.items.length > 0 && (
              <Table verticalSpacing={4}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('refund.sentAt')}</Table.Th>
                    <Table.Th>{t('refund.channel')}</Table.Th>
                    <Table.Th>{t('refund.template')}</Table.Th>
                    <Table.Th>{t('refund.recipient')}</Table.Th>
                    <Table.Th>{t('refunds.status')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {notifications.data.items.map((item) => (
                    <Table.Tr key={item.id}>
                      <Table.Td>
                        <Time at={item.sentAt ?? item.createdAt} />
                      </Table.Td>
                      <Table.Td>{item.channel}</Table.Td>
                      <Table.Td>
                        <Text size="sm" ff="monospace">
                          {item.template}
                        </Text>
                      </Table.Td>
                      <Table.Td>{item.recipient}</Table.Td>
                      <Table.Td>
                        <StatusBadge status={item.status} />
                        {item.lastError && (
                          <Text size="xs" c="red">
                            {item.lastError}
                          </Text>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder radius="md" mb="md">
            <Title order={4} mb="sm">
              {t('refund.details')}
            </Title>
            <Stack gap="sm">
              <Field label={t('refunds.created')}>
                <Time at={r.createdAt} />
              </Field>
              <Field label={t('refund.updated')}>
                <Time at={r.updatedAt} />
              </Field>
              <Field label={t('refunds.orderId')}>
                <Anchor component={Link} to="/orders/$orderId/refunds" params={{ orderId: r.orderId } as never} size="sm" ff="monospace">
                  {r.orderId}
                </Anchor>
              </Field>
              {r.items && r.items.length > 0 && (
                <Field label={t('refund.items')}>{r.items.map((item) => `${item.sku} × ${item.quantity}`).join(', ')}</Field>
              )}
              <Field label={t('refund.providerRefund')}>{r.providerRefundId ?? '—'}</Field>
              {r.failureReason && <Field label={t('refund.failureReason')}>{r.failureReason}</Field>}
              {r.paymentId && <Field label={t('refund.paymentId')}>{r.paymentId}</Field>}
              {r.voucher && (
                <Field label={t('refund.voucher')}>
                  <Anchor href={r.voucher.url} target="_blank" rel="noopener noreferrer" size="sm" data-testid="voucher-link">
                    {t('refund.voucherOpen')}
                  </Anchor>
                  <Text size="xs" c="dimmed" ff="monospace" style={{ wordBreak: 'break-all' }} data-testid="voucher-sha256">
                    SHA-256 {r.voucher.sha256}
                  </Text>
                </Field>
              )}
            </Stack>
          </Card>
          <Card withBorder radius="md">
            <Title order={4} mb="sm">
              {t('refund.order')}
            </Title>
            <ApiErrorAlert error={order.error} />
            {order.data && (
              <Stack gap="sm">
                <Field label={t('refunds.customerId')}>
                  <Anchor component={Link} to="/refunds" search={{ customerId: order.data.customerId } as never} size="sm" ff="monospace">
                    {order.data.customerId}
                  </Anchor>{' '}
                  · {order.data.email}
                </Field>
                <Field label={t('refund.orderTotal')}>
                  <Money amount={order.data.totalAmount} currency={order.data.currency} /> · {t('refund.captured')} <Money amount={order.data.capturedAmount} currency={order.data.currency} /> ·{' '}
                  {t('refund.refunded')} <Money amount={order.data.refundedAmount} currency={order.data.currency} />
                </Field>
                <Field label={t('refund.orderStatus')}>
                  {order.data.status} · {order.data.paymentStatus} · {order.data.fulfillmentStatus}
                </Field>
                {order.data.shipment && (
                  <Field label={t('refund.shipment')}>
                    {order.data.shipment.carrier} {order.data.shipment.trackingNumber}
                  </Field>
                )}
              </Stack>
            )}
          </Card>
        </Grid.Col>
      </Grid>
    </>
  );
}

/** The buttons this refund's status allows; the API still decides (409 with its message if it moved meanwhile). */
export function RefundActions({ refund, compact }: { refund: Pick<Refund, 'id' | 'status'>; compact?: boolean }) {
  const { t } = useTranslation();
  const decide = useRefundDecision();
  const size = compact ? 'xs' : 'sm';
  const id = refund.id;
  return (
    <Group gap="xs" wrap="nowrap">
      {refund.status === 'pending_review' && (
        <>
          <ConfirmButton
            size={size}
            color="teal"
            label={t('actions.approve')}
            title={t('actions.approveTitle', { id })}
            message={t('actions.approveMessage')}
            confirmLabel={t('actions.approve')}
            note="optional"
            testId={`approve-${id}`}
            onConfirm={(note) => decide.run({ kind: 'approve', id, note })}
          />
          <ConfirmButton
            size={size}
            color="red"
            label={t('actions.reject')}
            title={t('actions.rejectTitle', { id })}
            message={t('actions.rejectMessage')}
            confirmLabel={t('actions.reject')}
            note="required"
            noteLabel={t('actions.reason')}
            testId={`reject-${id}`}
            onConfirm={(reason) => decide.run({ kind: 'reject', id, reason: reason! })}
          />
        </>
      )}
      {refund.status === 'awaiting_return' && (
        <ConfirmButton
          size={size}
          label={t('actions.returnReceived')}
          title={t('actions.returnReceivedTitle', { id })}
          message={t('actions.returnReceivedMessage')}
          confirmLabel={t('actions.returnReceived')}
          note="optional"
          testId={`received-${id}`}
          onConfirm={(note) => decide.run({ kind: 'return_received', id, note })}
        />
      )}
      {refund.status === 'inspecting' && (
        <>
          <ConfirmButton
            size={size}
            color="teal"
            label={t('actions.pass')}
            title={t('actions.passTitle', { id })}
            message={t('actions.passMessage')}
            confirmLabel={t('actions.pass')}
            note="optional"
            testId={`pass-${id}`}
            onConfirm={(note) => decide.run({ kind: 'inspection', id, result: 'passed', note })}
          />
          <ConfirmButton
            size={size}
            color="red"
            label={t('actions.fail')}
            title={t('actions.failTitle', { id })}
            message={t('actions.failMessage')}
            confirmLabel={t('actions.fail')}
            note="optional"
            testId={`fail-${id}`}
            onConfirm={(note) => decide.run({ kind: 'inspection', id, result: 'failed', note })}
          />
        </>
      )}
      {refund.status === 'failed' && (
        <ConfirmButton
          size={size}
          color="orange"
          label={t('actions.retry')}
          title={t('actions.retryTitle', { id })}
          message={t('actions.retryMessage')}
          confirmLabel={t('actions.retry')}
          testId={`retry-${id}`}
          onConfirm={() => decide.run({ kind: 'retry', id })}
        />
      )}
    </Group>
  );
}
