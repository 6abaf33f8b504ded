// Refund policies as they are today: a seller's window and review, a product's window (admin writes,
// support reads). The per-product change log, the migration and the rollout flag (issue 12) come as
// pages of their own beside this one.
import { useState } from 'react';
import { Button, Card, Grid, Group, NumberInput, SegmentedControl, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconAdjustments } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { ApiError, answerOf } from '@ebb/api-client/browser';
import { useConsole } from '../app/console-context';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, text } from '../app/search';
import { useAction } from '../app/use-action';
import { ApiErrorAlert, PageHeader, Time } from '../app/ui';

export const policiesRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/policies',
  validateSearch: (search: Record<string, unknown>): { sellerId?: string; productId?: string } =>
    compact({ sellerId: text(search, 'sellerId'), productId: text(search, 'productId') }),
  component: PoliciesPage,
});

export const policiesNav: NavEntry = { to: '/policies', label: 'nav.policies', icon: IconAdjustments, section: 'settings', roles: ['support', 'admin'] };

const notFound = (error: unknown) => error instanceof ApiError && error.status === 404;

function PoliciesPage() {
  const { t } = useTranslation();
  const search = policiesRoute.useSearch();
  const navigate = useNavigate({ from: policiesRoute.fullPath });
  return (
    <>
      <PageHeader title={t('policies.title')} description={t('policies.description')} />
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <SellerPolicy sellerId={search.sellerId} onLookUp={(sellerId) => navigate({ search: (previous: typeof search) => compact({ ...previous, sellerId }) })} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <ProductPolicy productId={search.productId} onLookUp={(productId) => navigate({ search: (previous: typeof search) => compact({ ...previous, productId }) })} />
        </Grid.Col>
      </Grid>
    </>
  );
}

function LookUp({ label, value, onLookUp }: { label: string; value?: string; onLookUp(value: string | undefined): void }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState(value ?? '');
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        onLookUp(draft.trim() || undefined);
      }}
    >
      <Group align="flex-end" gap="sm">
        <TextInput label={label} value={draft} onChange={(event) => setDraft(event.currentTarget.value)} style={{ flex: 1 }} />
        <Button type="submit" variant="default">
          {t('policies.lookUp')}
        </Button>
      </Group>
    </form>
  );
}

function SellerPolicy({ sellerId, onLookUp }: { sellerId?: string; onLookUp(id: string | undefined): void }) {
  const { t } = useTranslation();
  const { api } = useConsole();
  const policy = useQuery({
    queryKey: ['policy', 'seller', sellerId],
    enabled: !!sellerId,
    retry: false,
    queryFn: () => answerOf(api('refund').GET('/v1/refund-policies/sellers/{sellerId}', { params: { path: { sellerId: sellerId! } } })),
  });
  const [edit, setEdit] = useState<{ windowDays: number; review: 'automatic' | 'manual' } | undefined>();
  const save = useAction(
    (body: { sellerId: string; windowDays: number; review: 'automatic' | 'manual' }) =>
      answerOf(api('refund').PUT('/v1/refund-policies/sellers/{sellerId}', { params: { path: { sellerId: body.sellerId } }, body: { windowDays: body.windowDays, review: body.review } })),
    { invalidate: [['policy', 'seller']], done: (saved) => t('policies.saved', { id: saved.sellerId }), failed: t('errors.refused') },
  );
  const current = edit ?? (policy.data ? { windowDays: policy.data.windowDays, review: policy.data.review } : { windowDays: 30, review: 'automatic' as const });
  return (
    <Card withBorder radius="md">
      <Title order={4} mb="sm">
        {t('policies.seller')}
      </Title>
      <Stack>
        <LookUp label={t('policies.sellerId')} value={sellerId} onLookUp={(id) => (setEdit(undefined), onLookUp(id))} />
        {policy.error && !notFound(policy.error) && <ApiErrorAlert error={policy.error} />}
        {sellerId && (policy.data || notFound(policy.error)) && (
          <>
            <Text size="sm" c="dimmed">
              {policy.data ? (
                <>
                  {t('policies.updatedAt')} <Time at={policy.data.updatedAt} />
                </>
              ) : (
                t('policies.noneYet')
              )}
            </Text>
            <NumberInput label={t('policies.windowDays')} description={t('policies.windowHint')} min={0} max={3650} value={current.windowDays} onChange={(value) => setEdit({ ...current, windowDays: Number(value) || 0 })} />
            <div>
              <Text size="sm" fw={500} mb={4}>
                {t('policies.review')}
              </Text>
              <SegmentedControl
                value={current.review}
                onChange={(value) => setEdit({ ...current, review: value === 'manual' ? 'manual' : 'automatic' })}
                data={[
                  { value: 'automatic', label: t('policies.reviewAutomatic') },
                  { value: 'manual', label: t('policies.reviewManual') },
                ]}
              />
            </div>
            <Group justify="flex-end">
              <Button loading={save.pending} onClick={() => save.run({ sellerId, ...current })}>
                {t('common.save')}
              </Button>
            </Group>
          </>
        )}
      </Stack>
    </Card>
  );
}

function ProductPolicy({ productId, onLookUp }: { productId?: string; onLookUp(id: string | undefined): void }) {
  const { t } = useTranslation();
  const { api } = useConsole();
  const policy = useQuery({
    queryKey: ['policy', 'product', productId],
    enabled: !!productId,
    retry: false,
    queryFn: () => answerOf(api('refund').GET('/v1/refund-policies/products/{productId}', { params: { path: { productId: productId! } } })),
  });
  const [windowDays, setWindowDays] = useState<number | undefined>();
  const save = useAction(
    (body: { productId: string; windowDays: number }) =>
      answerOf(api('refund').PUT('/v1/refund-policies/products/{productId}', { params: { path: { productId: body.productId } }, body: { windowDays: body.windowDays } })),
    { invalidate: [['policy', 'product']], done: (saved) => t('policies.saved', { id: saved.productId }), failed: t('errors.refused') },
  );
  const current = windowDays ?? policy.data?.windowDays ?? 30;
  return (
    <Card withBorder radius="md">
      <Title order={4} mb="sm">
        {t('policies.product')}
      </Title>
      <Stack>
        <LookUp label={t('policies.productId')} value={productId} onLookUp={(id) => (setWindowDays(undefined), onLookUp(id))} />
        {policy.error && !notFound(policy.error) && <ApiErrorAlert error={policy.error} />}
        {productId && (policy.data || notFound(policy.error)) && (
          <>
            <Text size="sm" c="dimmed">
              {policy.data ? (
                <>
                  {t('policies.updatedAt')} <Time at={policy.data.updatedAt} />
                </>
              ) : (
                t('policies.noneYet')
              )}
            </Text>
            <NumberInput label={t('policies.windowDays')} description={t('policies.windowHint')} min={0} max={3650} value={current} onChange={(value) => setWindowDays(Number(value) || 0)} />
            <Group justify="flex-end">
              <Button loading={save.pending} onClick={() => save.run({ productId, windowDays: current })}>
                {t('common.save')}
              </Button>
            </Group>
          </>
        )}
      </Stack>
    </Card>
  );
}
