// What needs a person now, and how refunds are going: refunds by outcome, the failure rate and the
// processing time, read from refund-service's /metrics and followed while the page is open.
import { useEffect, useState } from 'react';
import { Alert, Card, Group, RingProgress, SimpleGrid, Stack, Text, ThemeIcon, Title, UnstyledButton } from '@mantine/core';
import { BarChart, LineChart } from '@mantine/charts';
import { IconAlertTriangle, IconBuildingBank, IconChecklist, IconHome, IconInbox, IconPackageImport, IconReceiptRefund, IconScale } from '@tabler/icons-react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { Link, createRoute } from '@tanstack/react-router';
import type { ComponentType } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, answerOf } from '@ebb/api-client/browser';
import { useConsole } from '../app/console-context';
import { duration, percent, seconds, viewerTimeZone } from '../app/format';
import { OperatorsOnly } from '../app/gate';
import { OUTCOMES, type RefundFigures, intervalBetween, refundFigures } from '../app/metrics';
import { type NavEntry, rootRoute } from '../app/root';
import { SERVICES } from '../app/runtime-config';
import { ApiErrorAlert, PageHeader } from '../app/ui';

export const homeRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  component: () => (
    <OperatorsOnly>
      <HomePage />
    </OperatorsOnly>
  ),
});

export const homeNav: NavEntry = { to: '/', label: 'nav.home', icon: IconHome, section: 'work', roles: ['support', 'admin'] };

/** The alerts' thresholds (deploy/monitoring/alerts.rules.yml): failure rate above 1%, mean processing time above 30 s. */
const FAILURE_RATE_ALERT = 0.01;
const PROCESSING_ALERT_SECONDS = 30;
const POLL_MS = 15000;

interface Reading {
  at: number;
  figures: RefundFigures;
}
// kept while the console is open, across pages: the readings the charts follow
const readings: Reading[] = [];

interface Tile {
  key: string;
  label: string;
  icon: ComponentType<{ size?: number }>;
  color: string;
  to: string;
  search?: Record<string, string>;
  count?: string;
  error?: unknown;
}

const countOf = (page: { items: unknown[]; nextCursor?: string | null } | undefined) => (page ? `${page.items.length}${page.nextCursor ? '+' : ''}` : undefined);

function HomePage() {
  const { t, i18n } = useTranslation();
  const { api, config } = useConsole();
  const locale = i18n.language;
  const refunds = (status: 'pending_review' | 'failed' | 'awaiting_return' | 'inspecting') => ({
    queryKey: ['home', 'refunds', status],
    queryFn: () => answerOf(api('refund').GET('/v1/refunds', { params: { query: { status, limit: 200 } } })),
    refetchInterval: POLL_MS,
  });
  const [pending, failed, awaiting, inspecting] = useQueries({ queries: [refunds('pending_review'), refunds('failed'), refunds('awaiting_return'), refunds('inspecting')] });
  const unknown = useQuery({
    queryKey: ['home', 'provider-refunds'],
    queryFn: () => answerOf(api('payment').GET('/v1/admin/provider-refunds', { params: { query: { status: 'outcome_unknown', limit: 200 } } })),
    refetchInterval: POLL_MS,
    retry: false,
  });
  const differences = useQuery({
    queryKey: ['home', 'differences'],
    queryFn: () => answerOf(api('payment').GET('/v1/admin/reconciliation-differences', { params: { query: { resolution: 'open', limit: 200 } } })),
    refetchInterval: POLL_MS,
    retry: false,
  });
  const parked = useQueries({
    queries: SERVICES.map((service) => ({
      queryKey: ['home', 'dead-letters', service],
      queryFn: () => answerOf(api(service).GET('/v1/admin/dead-letters', { params: { query: { limit: 500 } } })),
      refetchInterval: POLL_MS,
      retry: false,
    })),
  });
  const parkedError = parked.find((query) => query.error)?.error;
  const parkedCount = parked.every((query) => query.data) ? String(parked.reduce((sum, query) => sum + (query.data?.items.length ?? 0), 0)) + (parked.some((query) => query.data?.nextCursor) ? '+' : '') : undefined;
  const returnsCount = awaiting.data && inspecting.data ? String(awaiting.data.items.length + inspecting.data.items.length) : undefined;

  const tiles: Tile[] = [
    { key: 'review', label: t('home.pendingReviews'), icon: IconChecklist, color: 'yellow', to: '/review', count: countOf(pending.data), error: pending.error },
    { key: 'returns', label: t('home.returns'), icon: IconPackageImport, color: 'grape', to: '/returns', count: returnsCount, error: awaiting.error ?? inspecting.error },
    { key: 'failed', label: t('home.failedRefunds'), icon: IconReceiptRefund, color: 'red', to: '/refunds', search: { status: 'failed' }, count: countOf(failed.data), error: failed.error },
    { key: 'parked', label: t('home.parkedMessages'), icon: IconInbox, color: 'orange', to: '/dead-letters', count: parkedCount, error: parkedError },
    { key: 'unknown', label: t('home.unknownOutcomes'), icon: IconBuildingBank, color: 'red', to: '/provider-refunds', count: countOf(unknown.data), error: unknown.error },
    { key: 'differences', label: t('home.openDifferences'), icon: IconScale, color: 'orange', to: '/reconciliation', count: countOf(differences.data), error: differences.error },
  ];

  // refund-service's public /metrics, read by the page (CORS), parsed here
  const metrics = useQuery({
    queryKey: ['home', 'metrics'],
    queryFn: async () => {
      const response = await fetch(`${config.services.refund}/metrics`);
      if (!response.ok) throw new ApiError(response.status, `http_${response.status}`, `GET /metrics answered ${response.status}`);
      return refundFigures(await response.text());
    },
    refetchInterval: POLL_MS,
  });
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!metrics.data || readings.at(-1)?.figures === metrics.data) return;
    readings.push({ at: metrics.dataUpdatedAt, figures: metrics.data });
    if (readings.length > 240) readings.shift();
    setTick((n) => n + 1);
  }, [metrics.data, metrics.dataUpdatedAt]);

  const figures = metrics.data;
  const series = readings.slice(1).map((reading, index) => {
    const interval = intervalBetween(readings[index].figures, reading.figures);
    return {
      time: new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(reading.at),
      failureRate: interval.failureRate === null ? null : Math.round(interval.failureRate * 10000) / 100,
      meanSeconds: interval.meanSeconds === null ? null : Math.round(interval.meanSeconds * 100) / 100,
    };
  });
  const failureRate = figures?.failureRate ?? null;
  const mean = figures?.processing.mean ?? null;

  return (
    <>
      <PageHeader title={t('home.title')} description={t('home.description', { zone: viewerTimeZone() })} />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} mb="lg">
        {tiles.map((tile) => {
          const denied = tile.error instanceof ApiError && (tile.error.status === 401 || tile.error.status === 403);
          const urgent = tile.count !== undefined && tile.count !== '0';
          return (
            <UnstyledButton key={tile.key} component={Link} to={tile.to} search={tile.search as never} data-testid={`tile-${tile.key}`}>
              <Card withBorder radius="md" padding="md" h="100%" style={{ borderLeft: `4px solid var(--mantine-color-${urgent ? tile.color : 'gray'}-5)` }}>
                <Group justify="space-between" align="flex-start" wrap="nowrap">
                  <div>
                    <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
                      {tile.label}
                    </Text>
                    <Text fw={700} fz={32} lh={1.2} c={urgent ? undefined : 'dimmed'}>
                      {denied ? '—' : (tile.count ?? '…')}
                    </Text>
                    {denied && (
                      <Text size="xs" c="dimmed">
                        {t('home.needsAdmin')}
                      </Text>
                    )}
                    {!!tile.error && !denied && (
                      <Text size="xs" c="red">
                        {(tile.error as Error).message}
                      </Text>
                    )}
                  </div>
                  <ThemeIcon variant="light" color={urgent ? tile.color : 'gray'} size="lg" radius="md">
                    <tile.icon size={20} />
                  </ThemeIcon>
                </Group>
              </Card>
            </UnstyledButton>
          );
        })}
      </SimpleGrid>

      <ApiErrorAlert error={metrics.error} />
      {figures && (
        <>
          <SimpleGrid cols={{ base: 1, md: 3 }} mb="lg">
            <Card withBorder radius="md">
              <Title order={5} mb="xs">
                {t('home.byOutcome')}
              </Title>
              <BarChart
                h={200}
                data={OUTCOMES.map((outcome) => ({ outcome: t(`status.${outcome}`), count: figures.outcomes[outcome] }))}
                dataKey="outcome"
                series={[{ name: 'count', label: t('home.refunds'), color: 'indigo.6' }]}
                tickLine="y"
                withTooltip
              />
            </Card>
            <Card withBorder radius="md">
              <Title order={5} mb="xs">
                {t('home.failureRate')}
              </Title>
              <Group wrap="nowrap" align="center" h={200} justify="center">
                <RingProgress
                  size={160}
                  thickness={16}
                  roundCaps
                  sections={[{ value: Math.min(100, (failureRate ?? 0) * 100), color: failureRate !== null && failureRate > FAILURE_RATE_ALERT ? 'red' : 'teal' }]}
                  label={
                    <Text ta="center" fw={700} size="xl" data-testid="failure-rate">
                      {failureRate === null ? '—' : percent(locale, failureRate)}
                    </Text>
                  }
                />
                <Stack gap={4}>
                  <Text size="sm" c="dimmed">
                    {t('home.alertAbove', { value: percent(locale, FAILURE_RATE_ALERT) })}
                  </Text>
                  <Text size="sm">{t('home.finished', { count: OUTCOMES.reduce((sum, outcome) => sum + figures.outcomes[outcome], 0) })}</Text>
                  {figures.oldestUndecidedSeconds !== null && figures.oldestUndecidedSeconds > 0 && (
                    <Text size="sm">{t('home.oldestUndecided', { age: duration(locale, figures.oldestUndecidedSeconds) })}</Text>
                  )}
                </Stack>
              </Group>
            </Card>
            <Card withBorder radius="md">
              <Group justify="space-between" mb="xs">
                <Title order={5}>{t('home.processingTime')}</Title>
                <Text size="sm" c={mean !== null && mean > PROCESSING_ALERT_SECONDS ? 'red' : 'dimmed'}>
                  {t('home.mean', { value: mean === null ? '—' : seconds(locale, mean) })}
                </Text>
              </Group>
              <BarChart
                h={200}
                data={figures.processing.buckets.map((bucket) => ({ le: bucket.le === '+Inf' ? `>${figures.processing.buckets.at(-2)?.le ?? ''}s` : `≤${bucket.le}s`, count: bucket.count }))}
                dataKey="le"
                series={[{ name: 'count', label: t('home.refunds'), color: 'teal.6' }]}
                tickLine="y"
              />
            </Card>
          </SimpleGrid>
          <Card withBorder radius="md">
            <Group justify="space-between" mb="xs">
              <Title order={5}>{t('home.sinceOpened')}</Title>
              <Text size="xs" c="dimmed">
                {t('home.every', { seconds: POLL_MS / 1000 })}
              </Text>
            </Group>
            {series.length < 2 ? (
              <Alert variant="light" color="gray" icon={<IconAlertTriangle size={16} />}>
                {t('home.collecting')}
              </Alert>
            ) : (
              <LineChart
                h={220}
                data={series}
                dataKey="time"
                connectNulls
                withRightYAxis
                rightYAxisLabel={t('home.meanSeconds')}
                yAxisLabel={t('home.failurePercent')}
                series={[
                  { name: 'failureRate', label: t('home.failurePercent'), color: 'red.6' },
                  { name: 'meanSeconds', label: t('home.meanSeconds'), color: 'indigo.6', yAxisId: 'right' },
                ]}
              />
            )}
          </Card>
        </>
      )}
    </>
  );
}
