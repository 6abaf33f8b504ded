// Reconciliation with the payment providers (admin): start a run for a day (and a provider), read a
// run's differences by kind, and work the differences waiting for a person. The run shown (`id`), the
// kind shown of it, and the waiting list's filters and page live in the URL.
import { useEffect, useState } from 'react';
import { Badge, Button, Card, Grid, Group, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { IconScale } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import { DIFFERENCE_KINDS, DIFFERENCE_RESOLUTIONS, type DifferenceKind, type DifferenceResolution, PAYMENT_PROVIDERS, type PaymentProvider } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, day, oneOf, text } from '../app/search';
import { useAction } from '../app/use-action';
import { ApiErrorAlert, LookUp, PageHeader, Pager, StatusBadge, Time } from '../app/ui';
import { DifferenceTable, KIND_COLORS } from './difference-table';

interface ReconciliationSearch {
  id?: string;
  kind?: DifferenceKind;
  resolution?: DifferenceResolution;
  provider?: PaymentProvider;
  cursor?: string;
}

export const reconciliationRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/reconciliation',
  validateSearch: (search: Record<string, unknown>): ReconciliationSearch =>
    compact({
      id: text(search, 'id'),
      kind: oneOf(search, 'kind', DIFFERENCE_KINDS),
      resolution: oneOf(search, 'resolution', DIFFERENCE_RESOLUTIONS),
      provider: oneOf(search, 'provider', PAYMENT_PROVIDERS),
      cursor: text(search, 'cursor'),
    }),
  component: ReconciliationPage,
});

export const reconciliationNav: NavEntry = { to: '/reconciliation', label: 'nav.reconciliation', icon: IconScale, section: 'operations', roles: ['admin'] };

const FOLLOW_MS = 2000;
/** Today as the viewer's calendar says, for the date input. */
const today = () => {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
};

function ReconciliationPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const search = reconciliationRoute.useSearch();
  const navigate = useNavigate({ from: reconciliationRoute.fullPath });
  const set = (changes: Partial<ReconciliationSearch>) => navigate({ search: (previous: ReconciliationSearch) => compact({ ...previous, ...changes }) });
  const [draft, setDraft] = useState<{ date: string; provider?: PaymentProvider }>({ date: today() });

  const start = useAction(
    (body: { date: string; provider?: PaymentProvider }, key: string) => answerOf(api('payment').POST('/v1/admin/reconciliations', { params: { header: { 'Idempotency-Key': key } }, body: compact(body) })),
    { invalidate: [['reconciliation']], done: (started) => t('reconciliation.started', { id: started.id }), failed: t('errors.refused') },
  );
  const run = useQuery({
    queryKey: ['reconciliation', search.id],
    enabled: !!search.id,
    retry: false,
    queryFn: () => answerOf(api('payment').GET('/v1/admin/reconciliations/{id}', { params: { path: { id: search.id! } } })),
    refetchInterval: (query) => (query.state.data?.status === 'running' ? FOLLOW_MS : false),
  });
  // a run that has just finished may have queued differences for a person: the list below shows them
  const queryClient = useQueryClient();
  const runStatus = run.data?.status;
  useEffect(() => {
    if (runStatus && runStatus !== 'running') void queryClient.invalidateQueries({ queryKey: ['differences'] });
  }, [runStatus, queryClient]);
  const resolution = search.resolution ?? 'open';
  const waiting = useQuery({
    queryKey: ['differences', resolution, search.provider, search.cursor],
    retry: false,
    queryFn: () => answerOf(api('payment').GET('/v1/admin/reconciliation-differences', { params: { query: compact({ resolution, provider: search.provider, cursor: search.cursor, limit: 50 }) } })),
  });

  const current = run.data;
  const differences = current ? current.differences.filter((difference) => !search.kind || difference.kind === search.kind) : [];
  return (
    <>
      <PageHeader title={t('reconciliation.title')} description={t('reconciliation.description')} />
      <Grid mb="md">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card withBorder radius="md" h="100%">
            <Title order={4} mb="sm">
              {t('reconciliation.start')}
            </Title>
            <form
              onSubmit={async (event) => {
                event.preventDefault();
                const started = await start.run(compact({ date: draft.date, provider: draft.provider }));
                if (started) navigate({ search: compact({ id: started.id }) });
              }}
            >
              <Group align="flex-end" gap="sm">
                <TextInput type="date" label={t('reconciliation.date')} value={draft.date} onChange={(event) => setDraft({ ...draft, date: event.currentTarget.value })} required data-testid="reconcile-date" />
                <Select
                  label={t('providerRefunds.provider')}
                  placeholder={t('reconciliation.allProviders')}
                  clearable
                  data={PAYMENT_PROVIDERS.map((provider) => ({ value: provider, label: provider }))}
                  value={draft.provider ?? null}
                  onChange={(value) => setDraft({ ...draft, provider: (value as PaymentProvider | null) ?? undefined })}
                  w={180}
                  data-testid="reconcile-provider"
                />
                <Button type="submit" loading={start.pending} disabled={!day({ date: draft.date }, 'date')} data-testid="reconcile-start">
                  {t('reconciliation.run')}
                </Button>
              </Group>
            </form>
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder radius="md" h="100%">
            <Title order={4} mb="sm">
              {t('reconciliation.open')}
            </Title>
            <LookUp key={search.id} label={t('reconciliation.runId')} value={search.id} onLookUp={(id) => set({ id, kind: undefined })} />
          </Card>
        </Grid.Col>
      </Grid>
      <Stack>
        <ApiErrorAlert error={start.error} />
        <ApiErrorAlert error={run.error} />
        {current && (
          <Card withBorder radius="md" data-testid="reconciliation-run">
            <Group gap="xs" mb={4}>
              <Text fw={600} ff="monospace">
                {current.id}
              </Text>
              <span data-testid="reconciliation-status">
                <StatusBadge status={current.status} />
              </span>
            </Group>
            <Text size="sm" c="dimmed" mb="sm">
              {t('reconciliation.summary', { date: current.date, provider: current.provider === 'all' ? t('reconciliation.allProviders') : current.provider, trigger: t(`reconciliation.triggers.${current.trigger}`) })}{' '}
              <Time at={current.createdAt} />
            </Text>
            <Group gap={6} mb="sm">
              <Badge variant="light" color="teal" tt="none" data-testid="matched">
                {t('reconciliation.matched', { count: current.matched })}
              </Badge>
              {DIFFERENCE_KINDS.map((kind) => {
                const count = current.differences.filter((difference) => difference.kind === kind).length;
                return (
                  <Badge
                    key={kind}
                    component="button"
                    type="button"
                    variant={search.kind === kind ? 'filled' : 'light'}
                    color={KIND_COLORS[kind]}
                    tt="none"
                    style={{ cursor: 'pointer' }}
                    onClick={() => set({ kind: search.kind === kind ? undefined : kind })}
                    data-testid={`kind-${kind}`}
                  >
                    {t(`reconciliation.kinds.${kind}`)}: {count}
                  </Badge>
                );
              })}
            </Group>
            {current.error && (
              <Text size="sm" c="red" mb="sm">
                {current.error}
              </Text>
            )}
            <DifferenceTable rows={differences} />
          </Card>
        )}
        <div data-testid="waiting-differences">
          <Group justify="space-between" mb="xs">
            <Title order={4}>{t('reconciliation.waiting')}</Title>
            <Group gap="sm">
              <Select
                aria-label={t('reconciliation.resolution')}
                data={DIFFERENCE_RESOLUTIONS.map((value) => ({ value, label: t(`status.${value}`) }))}
                value={resolution}
                onChange={(value) => set({ resolution: (value as DifferenceResolution | null) ?? undefined, cursor: undefined })}
                allowDeselect={false}
                w={150}
              />
              <Select
                aria-label={t('providerRefunds.provider')}
                placeholder={t('reconciliation.allProviders')}
                clearable
                data={PAYMENT_PROVIDERS.map((provider) => ({ value: provider, label: provider }))}
                value={search.provider ?? null}
                onChange={(value) => set({ provider: (value as PaymentProvider | null) ?? undefined, cursor: undefined })}
                w={150}
              />
            </Group>
          </Group>
          <ApiErrorAlert error={waiting.error} />
          {waiting.data && <DifferenceTable rows={waiting.data.items} showDate />}
          <Pager cursor={search.cursor} nextCursor={waiting.data?.nextCursor} onPage={(cursor) => set({ cursor })} />
        </div>
      </Stack>
    </>
  );
}
