// An order's refunds as its customer sees them, each with the next step in the order's language:
// what support reads out when the customer calls.
import { Card, Group, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link, createRoute } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import { useConsole } from '../app/console-context';
import { OperatorsOnly } from '../app/gate';
import { rootRoute } from '../app/root';
import { ApiErrorAlert, Empty, Money, PageHeader, StatusBadge, Time } from '../app/ui';

export const orderRefundsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/orders/$orderId/refunds',
  component: () => (
    <OperatorsOnly>
      <OrderRefundsPage />
    </OperatorsOnly>
  ),
});

function OrderRefundsPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const { orderId } = orderRefundsRoute.useParams();
  const list = useQuery({
    queryKey: ['order-refunds', orderId],
    queryFn: () => answerOf(api('refund').GET('/v1/orders/{orderId}/refunds', { params: { path: { orderId }, query: { limit: 50 } } })),
  });
  return (
    <>
      <PageHeader title={t('orderRefunds.title', { id: orderId })} description={t('orderRefunds.description')} />
      <ApiErrorAlert error={list.error} />
      {list.data?.items.length === 0 && <Empty>{t('refunds.none')}</Empty>}
      <Stack>
        {list.data?.items.map((refund) => (
          <Card key={refund.id} withBorder radius="md">
            <Group justify="space-between">
              <Group gap="sm">
                <Link to="/refunds/$refundId" params={{ refundId: refund.id }}>
                  <Text ff="monospace" size="sm">
                    {refund.id}
                  </Text>
                </Link>
                <StatusBadge status={refund.status} />
                <Money amount={refund.amount} currency={refund.currency} />
              </Group>
              <Text size="xs" c="dimmed">
                <Time at={refund.createdAt} />
              </Text>
            </Group>
            <Title order={5} mt="sm">
              {refund.nextStep.message}
            </Title>
            {refund.nextStep.expectedBy && (
              <Text size="sm" c="dimmed">
                {t('orderRefunds.expectedBy')} <Time at={refund.nextStep.expectedBy} />
              </Text>
            )}
          </Card>
        ))}
      </Stack>
    </>
  );
}
