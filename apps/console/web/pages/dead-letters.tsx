// Dead letters of every service: messages a handler failed on after its retries, parked. Inspect
// one, replay it (back to its queue as a first delivery) or discard it, each after a confirmation.
import { useState } from 'react';
import { Badge, Button, Card, Code, Group, Indicator, ScrollArea, SegmentedControl, Table, Text, Tooltip } from '@mantine/core';
import { IconInbox } from '@tabler/icons-react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import type { DeadLetter } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { type NavEntry, rootRoute } from '../app/root';
import { SERVICES, type Service } from '../app/runtime-config';
import { compact, oneOf, text } from '../app/search';
import { useAction } from '../app/use-action';
import { ApiErrorAlert, ConfirmButton, Empty, PageHeader, Pager, Time } from '../app/ui';

export const deadLettersRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/dead-letters',
  validateSearch: (search: Record<string, unknown>): { service?: Service; cursor?: string; open?: string } =>
    compact({ service: oneOf(search, 'service', SERVICES), cursor: text(search, 'cursor'), open: text(search, 'open') }),
  component: DeadLettersPage,
});

export const deadLettersNav: NavEntry = { to: '/dead-letters', label: 'nav.deadLetters', icon: IconInbox, section: 'operations', roles: ['admin'] };

const pretty = (content: string) => {
  try {
    return JSON.stringify(JSON.parse(content), null, 2);
  } catch {
    return content;
  }
};

function DeadLettersPage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const search = deadLettersRoute.useSearch();
  const service = search.service ?? 'refund';
  const navigate = useNavigate({ from: deadLettersRoute.fullPath });
  // how many each service holds (the first page of each), for the tabs
  const counts = useQueries({
    queries: SERVICES.map((each) => ({
      queryKey: ['dead-letters', each, 'count'],
      queryFn: () => answerOf(api(each).GET('/v1/admin/dead-letters', { params: { query: { limit: 100 } } })),
      retry: false,
    })),
  });
  const list = useQuery({
    queryKey: ['dead-letters', service, search.cursor],
    queryFn: () => answerOf(api(service).GET('/v1/admin/dead-letters', { params: { query: compact({ limit: 25, cursor: search.cursor }) } })),
    retry: false,
  });
  const countOf = (index: number) => {
    const data = counts[index]?.data;
    return data ? `${data.items.length}${data.nextCursor ? '+' : ''}` : undefined;
  };
  const invalidate = [['dead-letters'], ['home']] as const;
  const replay = useAction((letter: DeadLetter, key: string) =>
    answerOf(api(service).POST('/v1/admin/dead-letters/{id}/replay', { params: { path: { id: letter.id }, header: { 'Idempotency-Key': key } } })),
    { invalidate, done: (letter) => t('deadLetters.replayed', { type: letter.type }), failed: t('errors.refused') },
  );
  const discard = useAction(
    async (letter: DeadLetter) => {
      await answerOf(api(service).DELETE('/v1/admin/dead-letters/{id}', { params: { path: { id: letter.id } } }));
      return letter;
    },
    { invalidate, done: (letter) => t('deadLetters.discarded', { type: letter.type }), failed: t('errors.refused') },
  );
  const [hover, setHover] = useState<string>();

  return (
    <>
      <PageHeader
        title={t('deadLetters.title')}
        description={t('deadLetters.description')}
      />
      <Group mb="md">
          <SegmentedControl
          value={service}
          onChange={(value) => navigate({ search: { service: value as Service } })}
          data={SERVICES.map((each, index) => ({
            value: each,
            label: (
              <Group gap={6} wrap="nowrap" justify="center">
                <span>{t(`service.${each}`)}</span>
                {countOf(index) !== undefined && (
                  <Badge size="sm" variant={countOf(index) === '0' ? 'light' : 'filled'} color={countOf(index) === '0' ? 'gray' : 'red'}>
                    {countOf(index)}
                  </Badge>
                )}
              </Group>
            ),
          }))}
        />
      </Group>
      <ApiErrorAlert error={list.error} />
      {list.data && (
        <Card withBorder radius="md" p={0} style={{ overflowX: "auto" }}>
          <Table verticalSpacing="xs" horizontalSpacing="md" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('deadLetters.parkedAt')}</Table.Th>
                <Table.Th>{t('deadLetters.type')}</Table.Th>
                <Table.Th>{t('deadLetters.handler')}</Table.Th>
                <Table.Th>{t('deadLetters.attempts')}</Table.Th>
                <Table.Th>{t('deadLetters.error')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.data.items.map((letter) => {
                const open = search.open === letter.id;
                return [
                  <Table.Tr key={letter.id} onMouseEnter={() => setHover(letter.id)} data-testid={`dead-letter-${letter.id}`}>
                    <Table.Td>
                      <Time at={letter.parkedAt} />
                    </Table.Td>
                    <Table.Td>
                      <Code>{letter.type}</Code>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {letter.handler}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Indicator inline disabled color="red">
                        {letter.attempts}
                      </Indicator>
                    </Table.Td>
                    <Table.Td maw={320} style={{ whiteSpace: "normal" }}>
                      <Tooltip label={letter.error} multiline w={400} disabled={hover !== letter.id}>
                        <Text size="sm" c="red.8" lineClamp={2}>
                          {letter.error}
                        </Text>
                      </Tooltip>
                    </Table.Td>
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap" justify="flex-end">
                        <Button
                          size="xs"
                          variant="default"
                          onClick={() => navigate({ search: compact({ ...search, open: open ? undefined : letter.id }) })}
                          aria-expanded={open}
                          data-testid={`inspect-${letter.id}`}
                        >
                          {open ? t('deadLetters.close') : t('deadLetters.inspect')}
                        </Button>
                        <ConfirmButton
                          color="blue"
                          label={t('deadLetters.replay')}
                          title={t('deadLetters.replayTitle')}
                          message={t('deadLetters.replayMessage', { type: letter.type, service: t(`service.${service}`) })}
                          confirmLabel={t('deadLetters.replay')}
                          testId={`replay-${letter.id}`}
                          onConfirm={() => replay.run(letter)}
                        />
                        <ConfirmButton
                          color="red"
                          label={t('deadLetters.discard')}
                          title={t('deadLetters.discardTitle')}
                          message={t('deadLetters.discardMessage', { type: letter.type })}
                          confirmLabel={t('deadLetters.discard')}
                          testId={`discard-${letter.id}`}
                          onConfirm={() => discard.run(letter)}
                        />
                      </Group>
                    </Table.Td>
                  </Table.Tr>,
                  open && (
                    <Table.Tr key={`${letter.id}-content`}>
                      <Table.Td colSpan={6} bg="gray.0">
                        <Text size="xs" c="dimmed" mb={4}>
                          {t('deadLetters.message', { id: letter.messageId, queue: letter.queue })}
                          {letter.correlationId ? ` · ${t('deadLetters.correlation', { id: letter.correlationId })}` : ''}
                        </Text>
                        <ScrollArea.Autosize mah={320}>
                          <Code block data-testid="dead-letter-content">
                            {pretty(letter.content)}
                          </Code>
                        </ScrollArea.Autosize>
                      </Table.Td>
                    </Table.Tr>
                  ),
                ];
              })}
            </Table.Tbody>
          </Table>
          {list.data.items.length === 0 && <Empty>{t('deadLetters.empty', { service: t(`service.${service}`) })}</Empty>}
        </Card>
      )}
      <Pager cursor={search.cursor} nextCursor={list.data?.nextCursor} onPage={(cursor) => navigate({ search: compact({ service: search.service, cursor }) })} />
    </>
  );
}
