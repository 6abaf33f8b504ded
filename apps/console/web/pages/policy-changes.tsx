// Every change of a refund policy, newest first: old and new value, who, why, and the migration run
// that made it. Filters (product, seller, run) and the page live in the URL.
import { useState } from 'react';
import { Anchor, Badge, Button, Card, Group, Table, Text, TextInput } from '@mantine/core';
import { IconListDetails } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { Link, createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import type { PolicyChange } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, text } from '../app/search';
import { ApiErrorAlert, Empty, PageHeader, Pager, Time } from '../app/ui';

interface ChangesSearch {
  productId?: string;
  sellerId?: string;
  runId?: string;
  cursor?: string;
}

export const policyChangesRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/policy-changes',
  validateSearch: (search: Record<string, unknown>): ChangesSearch =>
    compact({ productId: text(search, 'productId'), sellerId: text(search, 'sellerId'), runId: text(search, 'runId'), cursor: text(search, 'cursor') }),
  component: PolicyChangesPage,
});

export const policyChangesNav: NavEntry = { to: '/policy-changes', label: 'nav.policyChanges', icon: IconListDetails, section: 'settings', roles: ['support', 'admin'] };

type Value = PolicyChange['new'];

/** A policy value as one line: the window, then the seller's rules and review when it has them. */
function ValueText({ value }: { value: Value }) {
  const { t } = useTranslation();
  if (!value) return <Text size="sm" c="dimmed">—</Text>;
  const rules = [
    value.minWindowDays !== undefined && t('policyChanges.min', { count: value.minWindowDays }),
    value.maxWindowDays !== undefined && t('policyChanges.max', { count: value.maxWindowDays }),
    value.allowNoRefunds !== undefined && t(value.allowNoRefunds ? 'policyChanges.noRefundsAllowed' : 'policyChanges.noRefundsRefused'),
    value.review && t(value.review === 'manual' ? 'policies.reviewManual' : 'policies.reviewAutomatic'),
  ].filter(Boolean);
  return (
    <>
      <Text size="sm">{t('policies.days', { count: value.windowDays })}</Text>
      {rules.length > 0 && (
        <Text size="xs" c="dimmed">
          {rules.join(' · ')}
        </Text>
      )}
    </>
  );
}

function PolicyChangesPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const search = policyChangesRoute.useSearch();
  const navigate = useNavigate({ from: policyChangesRoute.fullPath });
  const [draft, setDraft] = useState({ productId: search.productId ?? '', sellerId: search.sellerId ?? '', runId: search.runId ?? '' });
  const list = useQuery({
    queryKey: ['policy-changes', search.productId, search.sellerId, search.runId, search.cursor],
    queryFn: () =>
      answerOf(
        api('refund').GET('/v1/refund-policies/changes', {
          params: { query: compact({ productId: search.productId, sellerId: search.sellerId, runId: search.runId, cursor: search.cursor, limit: 50 }) },
        }),
      ),
    retry: false,
  });
  const items = list.data?.items ?? [];
  return (
    <>
      <PageHeader title={t('policyChanges.title')} description={t('policyChanges.description')} />
      <Card withBorder radius="md" mb="md">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            navigate({ search: compact({ productId: draft.productId.trim() || undefined, sellerId: draft.sellerId.trim() || undefined, runId: draft.runId.trim() || undefined }) });
          }}
        >
          <Group align="flex-end" gap="sm">
            <TextInput label={t('policies.productId')} value={draft.productId} onChange={(event) => setDraft({ ...draft, productId: event.currentTarget.value })} />
            <TextInput label={t('policies.sellerId')} value={draft.sellerId} onChange={(event) => setDraft({ ...draft, sellerId: event.currentTarget.value })} />
            <TextInput label={t('policyChanges.run')} value={draft.runId} onChange={(event) => setDraft({ ...draft, runId: event.currentTarget.value })} />
            <Button type="submit">{t('common.search')}</Button>
          </Group>
        </form>
      </Card>
      <ApiErrorAlert error={list.error} />
      {list.data && (
        <Card withBorder radius="md" p={0} style={{ overflowX: 'auto' }}>
          <Table verticalSpacing="xs" horizontalSpacing="md" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('audit.at')}</Table.Th>
                <Table.Th>{t('policyChanges.of')}</Table.Th>
                <Table.Th>{t('policyChanges.old')}</Table.Th>
                <Table.Th>{t('policyChanges.new')}</Table.Th>
                <Table.Th>{t('audit.actor')}</Table.Th>
                <Table.Th>{t('policies.reason')}</Table.Th>
                <Table.Th>{t('policyChanges.run')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((change) => (
                <Table.Tr key={change.id} data-testid={`policy-change-${change.id}`}>
                  <Table.Td>
                    <Time at={change.at} />
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={change.scope === 'product' ? 'blue' : 'grape'}>
                      {t(`policies.source.${change.scope}`)}
                    </Badge>
                    <Anchor component={Link} to="/policies" search={compact({ productId: change.productId, sellerId: change.sellerId ?? undefined }) as never} size="sm" ff="monospace" display="block">
                      {change.productId ?? change.sellerId}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <ValueText value={change.old} />
                  </Table.Td>
                  <Table.Td>
                    <ValueText value={change.new} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{change.actor}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{change.reason ?? '—'}</Text>
                  </Table.Td>
                  <Table.Td>
                    {change.runId ? (
                      <Anchor component={Link} to="/policy-migration" search={{ id: change.runId } as never} size="sm" ff="monospace">
                        {change.runId}
                      </Anchor>
                    ) : (
                      '—'
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {items.length === 0 && <Empty>{t('policyChanges.empty')}</Empty>}
        </Card>
      )}
      <Pager cursor={search.cursor} nextCursor={list.data?.nextCursor} onPage={(cursor) => navigate({ search: (previous: ChangesSearch) => compact({ ...previous, cursor }) })} />
    </>
  );
}
