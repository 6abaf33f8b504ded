// The gradual rollout of per-product refund windows (admin): which sellers the flag enables (off, new
// sellers, a percentage, all), changed after a confirmation; and whether it enables one seller, and why.
import { useState } from 'react';
import { Alert, Card, Grid, Group, NumberInput, SegmentedControl, Stack, Text, Title } from '@mantine/core';
import { IconToggleRight } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import { ROLLOUT_MODES, type RolloutMode } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, text } from '../app/search';
import { useAction } from '../app/use-action';
import { ApiErrorAlert, ConfirmButton, LookUp, PageHeader, Time } from '../app/ui';

export const rolloutRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/rollout',
  validateSearch: (search: Record<string, unknown>): { sellerId?: string } => compact({ sellerId: text(search, 'sellerId') }),
  component: RolloutPage,
});

export const rolloutNav: NavEntry = { to: '/rollout', label: 'nav.rollout', icon: IconToggleRight, section: 'settings', roles: ['admin'] };

interface FlagForm {
  mode: RolloutMode;
  percentage: number;
}

function RolloutPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const search = rolloutRoute.useSearch();
  const navigate = useNavigate({ from: rolloutRoute.fullPath });
  const flag = useQuery({ queryKey: ['flag'], retry: false, queryFn: () => answerOf(api('refund').GET('/v1/admin/flags/per-product-policies')) });
  const seller = useQuery({
    queryKey: ['flag', 'seller', search.sellerId],
    enabled: !!search.sellerId,
    retry: false,
    queryFn: () => answerOf(api('refund').GET('/v1/admin/flags/per-product-policies/sellers/{sellerId}', { params: { path: { sellerId: search.sellerId! } } })),
  });
  const [edit, setEdit] = useState<FlagForm | undefined>();
  const save = useAction(
    (form: FlagForm) => answerOf(api('refund').PUT('/v1/admin/flags/per-product-policies', { body: form.mode === 'percentage' ? form : { mode: form.mode } })),
    { invalidate: [['flag'], ['policy']], done: (saved) => t('rollout.saved', { mode: t(`rollout.mode.${saved.mode}`) }), failed: t('errors.refused') },
  );
  const form = edit ?? { mode: flag.data?.mode ?? 'off', percentage: flag.data?.percentage ?? 10 };
  const unchanged = flag.data?.mode === form.mode && (form.mode !== 'percentage' || flag.data.percentage === form.percentage);
  return (
    <>
      <PageHeader title={t('rollout.title')} description={t('rollout.description')} />
      <Grid>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card withBorder radius="md">
            <Title order={4} mb="sm">
              {t('rollout.flag')}
            </Title>
            <ApiErrorAlert error={flag.error} />
            {flag.data && (
              <Stack>
                <Text size="sm" data-testid="flag-now">
                  {t('rollout.now', { mode: t(`rollout.mode.${flag.data.mode}`) })}
                  {flag.data.mode === 'percentage' && ` (${flag.data.percentage ?? 0}%)`}
                </Text>
                <Text size="xs" c="dimmed">
                  {t('policies.updatedAt')} <Time at={flag.data.updatedAt} /> {flag.data.updatedBy && t('policies.by', { actor: flag.data.updatedBy })}
                </Text>
                <SegmentedControl
                  value={form.mode}
                  onChange={(value) => setEdit({ ...form, mode: value as RolloutMode })}
                  data={ROLLOUT_MODES.map((mode) => ({ value: mode, label: t(`rollout.mode.${mode}`) }))}
                />
                <Text size="xs" c="dimmed">
                  {t(`rollout.explain.${form.mode}`)}
                </Text>
                {form.mode === 'percentage' && (
                  <NumberInput label={t('rollout.percentage')} min={0} max={100} suffix="%" value={form.percentage} onChange={(value) => setEdit({ ...form, percentage: Number(value) || 0 })} w={160} />
                )}
                <ApiErrorAlert error={save.error} />
                <Group justify="flex-end">
                  <ConfirmButton
                    label={t('common.save')}
                    variant="filled"
                    size="sm"
                    disabled={unchanged}
                    title={t('rollout.confirmTitle')}
                    message={t('rollout.confirmMessage', { mode: t(`rollout.mode.${form.mode}`) + (form.mode === 'percentage' ? ` (${form.percentage}%)` : '') })}
                    confirmLabel={t('common.save')}
                    testId="flag-save"
                    onConfirm={async () => {
                      const saved = await save.run(form);
                      if (saved) setEdit(undefined);
                      return saved;
                    }}
                  />
                </Group>
              </Stack>
            )}
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder radius="md">
            <Title order={4} mb="sm">
              {t('rollout.forSeller')}
            </Title>
            <Stack>
              <LookUp label={t('policies.sellerId')} value={search.sellerId} onLookUp={(sellerId) => navigate({ search: compact({ sellerId }) })} />
              <ApiErrorAlert error={seller.error} />
              {seller.data && (
                <Alert color={seller.data.enabled ? 'teal' : 'gray'} title={seller.data.enabled ? t('rollout.enabled') : t('rollout.disabled')}>
                  <Text size="sm" data-testid="seller-reason">{t(`rollout.reasons.${seller.data.reason}`, { defaultValue: seller.data.reason })}</Text>
                </Alert>
              )}
            </Stack>
          </Card>
        </Grid.Col>
      </Grid>
    </>
  );
}
