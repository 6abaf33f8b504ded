// Moving sellers onto per-product refund windows (admin): start a dry run (for some sellers or the
// whole catalogue), follow it, read its report; apply what it recommends, resume a run that failed,
// roll an apply back. Apply and rollback ask first. The run shown is the `id` in the URL.
import { useState } from 'react';
import { Badge, Button, Card, Grid, Group, Stack, Text, Textarea, Title } from '@mantine/core';
import { IconWand } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import type { PolicyMigration } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, oneOf, text } from '../app/search';
import { useAction } from '../app/use-action';
import { ApiErrorAlert, ConfirmButton, LookUp, PageHeader, StatusBadge, Time } from '../app/ui';
import { MigrationReport, REPORT_ACTIONS, type ReportAction } from './migration-report';

interface MigrationSearch {
  id?: string;
  action?: ReportAction;
  page?: string;
}

export const policyMigrationRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/policy-migration',
  validateSearch: (search: Record<string, unknown>): MigrationSearch =>
    compact({ id: text(search, 'id'), action: oneOf(search, 'action', REPORT_ACTIONS), page: text(search, 'page')?.match(/^\d+$/)?.[0] }),
  component: PolicyMigrationPage,
});

export const policyMigrationNav: NavEntry = { to: '/policy-migration', label: 'nav.policyMigration', icon: IconWand, section: 'settings', roles: ['admin'] };

const FOLLOW_MS = 2000;
const busy = (run: PolicyMigration | undefined) => run?.status === 'running' || run?.status === 'rolling_back';

/** Seller ids as typed: separated by commas, spaces or lines. */
const sellerIdsOf = (typed: string) => [...new Set(typed.split(/[\s,]+/).filter(Boolean))];

type Start = { mode: 'dry_run' | 'apply'; sellerIds?: string[] };

function PolicyMigrationPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const search = policyMigrationRoute.useSearch();
  const navigate = useNavigate({ from: policyMigrationRoute.fullPath });
  const show = (id: string | undefined) => navigate({ search: compact({ id }) });
  const [sellers, setSellers] = useState('');

  const run = useQuery({
    queryKey: ['policy-migration', search.id],
    enabled: !!search.id,
    retry: false,
    queryFn: () => answerOf(api('refund').GET('/v1/admin/policy-migrations/{id}', { params: { path: { id: search.id! } } })),
    refetchInterval: (query) => (busy(query.state.data) ? FOLLOW_MS : false),
  });
  const invalidate = [['policy-migration'], ['policy'], ['policy-changes']] as const;
  const start = useAction(
    (body: Start, key: string) => answerOf(api('refund').POST('/v1/admin/policy-migrations', { params: { header: { 'Idempotency-Key': key } }, body })),
    { invalidate, done: (started) => t('migration.started', { id: started.id, mode: t(`migration.mode.${started.mode}`) }), failed: t('errors.refused') },
  );
  const resume = useAction(
    (id: string, key: string) => answerOf(api('refund').POST('/v1/admin/policy-migrations/{id}/resume', { params: { path: { id }, header: { 'Idempotency-Key': key } } })),
    { invalidate, done: (answer) => t('migration.moved', { id: answer.id, status: t(`status.${answer.status}`) }), failed: t('errors.refused') },
  );
  const rollBack = useAction(
    (id: string, key: string) => answerOf(api('refund').POST('/v1/admin/policy-migrations/{id}/rollback', { params: { path: { id }, header: { 'Idempotency-Key': key } } })),
    { invalidate, done: (answer) => t('migration.moved', { id: answer.id, status: t(`status.${answer.status}`) }), failed: t('errors.refused') },
  );
  const startAndShow = async (body: Start) => {
    const started = await start.run(body);
    if (started) show(started.id);
    return started;
  };

  const current = run.data;
  return (
    <>
      <PageHeader title={t('migration.title')} description={t('migration.description')} />
      <Grid mb="md">
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card withBorder radius="md" h="100%">
            <Title order={4} mb="sm">
              {t('migration.dryRun')}
            </Title>
            <Stack>
              <Textarea label={t('migration.sellerIds')} description={t('migration.sellerIdsHint')} value={sellers} onChange={(event) => setSellers(event.currentTarget.value)} autosize minRows={2} data-testid="migration-sellers" />
              <Group justify="flex-end">
                <Button loading={start.pending} onClick={() => startAndShow(compact({ mode: 'dry_run' as const, sellerIds: sellerIdsOf(sellers).length ? sellerIdsOf(sellers) : undefined }))} data-testid="start-dry-run">
                  {t('migration.startDryRun')}
                </Button>
              </Group>
            </Stack>
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          <Card withBorder radius="md" h="100%">
            <Title order={4} mb="sm">
              {t('migration.open')}
            </Title>
            <LookUp key={search.id} label={t('migration.runId')} value={search.id} onLookUp={show} />
          </Card>
        </Grid.Col>
      </Grid>
      <Stack>
        <ApiErrorAlert error={start.error ?? resume.error ?? rollBack.error} />
        <ApiErrorAlert error={run.error} />
        {current && (
          <Card withBorder radius="md" data-testid="migration-run">
            <Group justify="space-between" align="flex-start">
              <Stack gap={4}>
                <Group gap="xs">
                  <Text fw={600} ff="monospace">
                    {current.id}
                  </Text>
                  <Badge variant="outline">{t(`migration.mode.${current.mode}`)}</Badge>
                  <span data-testid="migration-status">
                    <StatusBadge status={current.status} />
                  </span>
                </Group>
                <Text size="sm" c="dimmed">
                  {t('migration.startedBy', { actor: current.createdBy })} <Time at={current.createdAt} />
                  {current.finishedAt && (
                    <>
                      {' · '}
                      {t('migration.finished')} <Time at={current.finishedAt} />
                    </>
                  )}
                </Text>
                <Text size="sm">{current.sellerIds ? t('migration.forSellers', { sellers: current.sellerIds.join(', ') }) : t('migration.wholeCatalogue')}</Text>
                <Group gap={6}>
                  {Object.entries(current.counts).map(([name, count]) => (
                    <Badge key={name} variant="light" color="gray" tt="none">
                      {t(`migration.counts.${name}`, { defaultValue: name })}: {count}
                    </Badge>
                  ))}
                </Group>
                {current.error && (
                  <Text size="sm" c="red">
                    {current.error}
                  </Text>
                )}
              </Stack>
              <Group gap="xs">
                {current.mode === 'dry_run' && current.status === 'done' && (
                  <ConfirmButton
                    label={t('migration.apply')}
                    title={t('migration.applyTitle')}
                    message={t('migration.applyMessage', { count: current.counts.set ?? 0 })}
                    confirmLabel={t('migration.apply')}
                    color="blue"
                    testId="apply"
                    onConfirm={() => startAndShow(compact({ mode: 'apply' as const, sellerIds: current.sellerIds ?? undefined }))}
                  />
                )}
                {current.status === 'failed' && (
                  <Button size="xs" variant="light" loading={resume.pending} onClick={() => resume.run(current.id)} data-testid="resume">
                    {t('migration.resume')}
                  </Button>
                )}
                {current.mode === 'apply' && (current.status === 'done' || current.status === 'failed') && (
                  <ConfirmButton
                    label={t('migration.rollBack')}
                    title={t('migration.rollBackTitle')}
                    message={t('migration.rollBackMessage')}
                    confirmLabel={t('migration.rollBack')}
                    color="orange"
                    testId="roll-back"
                    onConfirm={() => rollBack.run(current.id)}
                  />
                )}
              </Group>
            </Group>
          </Card>
        )}
        {current && (
          <div>
            <MigrationReport
              rows={current.report}
              action={search.action}
              page={Number(search.page ?? 0)}
              onFilter={(action) => navigate({ search: (previous: MigrationSearch) => compact({ ...previous, action, page: undefined }) })}
              onPage={(page) => navigate({ search: (previous: MigrationSearch) => compact({ ...previous, page: page ? String(page) : undefined }) })}
            />
          </div>
        )}
      </Stack>
    </>
  );
}
