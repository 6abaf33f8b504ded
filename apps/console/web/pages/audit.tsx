// What support and admin did, service by service (every write of theirs is audited by the API).
import { useState } from 'react';
import { Badge, Button, Card, Code, Group, SegmentedControl, Table, Text, TextInput } from '@mantine/core';
import { IconHistory } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import { type NavEntry, rootRoute } from '../app/root';
import { useConsole } from '../app/console-context';
import { SERVICES, type Service } from '../app/runtime-config';
import { compact, day, oneOf, startOfDay, text } from '../app/search';
import { ApiErrorAlert, Empty, PageHeader, Pager, Time } from '../app/ui';

interface AuditSearch {
  service?: Service;
  actor?: string;
  target?: string;
  from?: string;
  cursor?: string;
}

export const auditRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/audit',
  validateSearch: (search: Record<string, unknown>): AuditSearch =>
    compact({ service: oneOf(search, 'service', SERVICES), actor: text(search, 'actor'), target: text(search, 'target'), from: day(search, 'from'), cursor: text(search, 'cursor') }),
  component: AuditPage,
});

export const auditNav: NavEntry = { to: '/audit', label: 'nav.audit', icon: IconHistory, section: 'operations', roles: ['admin'] };

const OUTCOME_COLORS: Record<string, string> = { succeeded: 'teal', refused: 'orange', replayed: 'blue', failed: 'red', pending: 'gray' };

function AuditPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const search = auditRoute.useSearch();
  const service = search.service ?? 'refund';
  const navigate = useNavigate({ from: auditRoute.fullPath });
  const [draft, setDraft] = useState({ actor: search.actor ?? '', target: search.target ?? '' });
  const set = (changes: Partial<AuditSearch>) => navigate({ search: (previous: AuditSearch) => compact({ ...previous, cursor: undefined, ...changes }) });
  const list = useQuery({
    queryKey: ['audit', service, search.actor, search.target, search.from, search.cursor],
    queryFn: () =>
      answerOf(
        api(service).GET('/v1/admin/audit', {
          params: { query: compact({ actor: search.actor, target: search.target, after: search.from && startOfDay(search.from), cursor: search.cursor, limit: 50 }) },
        }),
      ),
    retry: false,
  });
  return (
    <>
      <PageHeader
        title={t('audit.title')}
        description={t('audit.description')}
        actions={<SegmentedControl value={service} onChange={(value) => set({ service: value as Service })} data={SERVICES.map((each) => ({ value: each, label: t(`service.${each}`) }))} />}
      />
      <Card withBorder radius="md" mb="md">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            set({ actor: draft.actor.trim() || undefined, target: draft.target.trim() || undefined });
          }}
        >
          <Group align="flex-end" gap="sm">
            <TextInput label={t('audit.actor')} value={draft.actor} onChange={(event) => setDraft({ ...draft, actor: event.currentTarget.value })} />
            <TextInput label={t('audit.target')} value={draft.target} onChange={(event) => setDraft({ ...draft, target: event.currentTarget.value })} />
            <TextInput type="date" label={t('refunds.from')} value={search.from ?? ''} onChange={(event) => set({ from: event.currentTarget.value || undefined })} />
            <Button type="submit">{t('common.search')}</Button>
          </Group>
        </form>
      </Card>
      <ApiErrorAlert error={list.error} />
      {list.data && (
        <Card withBorder radius="md" p={0} style={{ overflowX: "auto" }}>
          <Table verticalSpacing="xs" horizontalSpacing="md" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('audit.at')}</Table.Th>
                <Table.Th>{t('audit.actor')}</Table.Th>
                <Table.Th>{t('audit.action')}</Table.Th>
                <Table.Th>{t('audit.target')}</Table.Th>
                <Table.Th>{t('audit.outcome')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((entry) => (
                <Table.Tr key={entry.id}>
                  <Table.Td>
                    <Time at={entry.at} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{entry.actor}</Text>
                    <Text size="xs" c="dimmed">
                      {t(`role.${entry.role}`, { defaultValue: entry.role })}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Code>{entry.action}</Code>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {entry.target ?? '—'}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={OUTCOME_COLORS[entry.outcome] ?? 'gray'}>
                      {t(`audit.outcomes.${entry.outcome}`)} {entry.status ?? ''}
                    </Badge>
                    {entry.code && (
                      <Text size="xs" c="dimmed">
                        {entry.code}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {list.data.items.length === 0 && <Empty>{t('audit.empty')}</Empty>}
        </Card>
      )}
      <Pager cursor={search.cursor} nextCursor={list.data?.nextCursor} onPage={(cursor) => navigate({ search: (previous: AuditSearch) => compact({ ...previous, cursor }) })} />
    </>
  );
}
