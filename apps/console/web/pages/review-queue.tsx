// The review queue: refunds waiting for a person, oldest first, with how long each has waited and
// when the system approves it by itself (never, above the limit). Approve or reject one, or many.
import { useState } from 'react';
import { Alert, Badge, Button, Card, Checkbox, Group, Modal, Progress, Stack, Table, Text, Textarea } from '@mantine/core';
import { IconChecklist } from '@tabler/icons-react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { ApiError, answerOf } from '@ebb/api-client/browser';
import { useConsole } from '../app/console-context';
import { OperatorsOnly } from '../app/gate';
import { REFUND_QUERIES } from '../app/refund-actions';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, text } from '../app/search';
import { newIdempotencyKey } from '../app/session';
import { Age, ApiErrorAlert, RefundLink, Empty, Money, PageHeader, Pager, Time } from '../app/ui';
import { RefundActions } from './refund-detail';

export const reviewQueueRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/review',
  validateSearch: (search: Record<string, unknown>): { cursor?: string } => compact({ cursor: text(search, 'cursor') }),
  component: () => (
    <OperatorsOnly>
      <ReviewQueuePage />
    </OperatorsOnly>
  ),
});

export const reviewQueueNav: NavEntry = { to: '/review', label: 'nav.review', icon: IconChecklist, section: 'work', roles: ['support', 'admin'] };

type Bulk = { kind: 'approve' | 'reject'; ids: string[] };
interface BulkResult {
  id: string;
  ok: boolean;
  message?: string;
}

function ReviewQueuePage() {
  const { t } = useTranslation();
  const { api } = useConsole();
  const queryClient = useQueryClient();
  const { cursor } = reviewQueueRoute.useSearch();
  const navigate = useNavigate({ from: reviewQueueRoute.fullPath });
  const [selected, setSelected] = useState<string[]>([]);
  const [bulk, setBulk] = useState<Bulk | undefined>();
  const [note, setNote] = useState('');
  // one key per refund of the bulk action, kept until every call answered: a second click repeats none
  const [bulkKeys, setBulkKeys] = useState<Record<string, string>>({});
  const [results, setResults] = useState<BulkResult[] | undefined>();
  const [running, setRunning] = useState(false);

  const queue = useQuery({
    queryKey: ['review-queue', cursor],
    queryFn: () => answerOf(api('refund').GET('/v1/refunds', { params: { query: compact({ status: 'pending_review' as const, limit: 50, cursor }) } })),
    refetchInterval: 30000,
  });
  const items = queue.data?.items ?? [];
  const allSelected = items.length > 0 && items.every((item) => selected.includes(item.id));

  const openBulk = (kind: Bulk['kind']) => {
    setBulk({ kind, ids: selected });
    setBulkKeys(Object.fromEntries(selected.map((id) => [id, newIdempotencyKey()])));
    setResults(undefined);
    setNote('');
  };
  const runBulk = async () => {
    if (!bulk || running) return;
    if (bulk.kind === 'reject' && !note.trim()) return;
    setRunning(true);
    const done: BulkResult[] = [];
    // one after another: each refund takes its order's lock, and the list shows progress
    for (const id of bulk.ids) {
      const options = { params: { path: { id }, header: { 'Idempotency-Key': bulkKeys[id] } } };
      try {
        if (bulk.kind === 'approve') await answerOf(api('refund').POST('/v1/refunds/{id}/approve', { ...options, body: note.trim() ? { note: note.trim() } : {} }));
        else await answerOf(api('refund').POST('/v1/refunds/{id}/reject', { ...options, body: { reason: note.trim() } }));
        done.push({ id, ok: true });
      } catch (error) {
        done.push({ id, ok: false, message: error instanceof ApiError || error instanceof Error ? error.message : String(error) });
      }
      setResults([...done]);
    }
    setRunning(false);
    setSelected((current) => current.filter((id) => !done.some((result) => result.ok && result.id === id)));
    await Promise.all(REFUND_QUERIES.map((queryKey) => queryClient.invalidateQueries({ queryKey: [...queryKey] })));
  };

  return (
    <>
      <PageHeader
        title={t('review.title')}
        description={t('review.description')}
        actions={
          <Group gap="xs">
            <Button color="teal" disabled={selected.length === 0} onClick={() => openBulk('approve')} data-testid="bulk-approve">
              {t('review.approveSelected', { count: selected.length })}
            </Button>
            <Button color="red" variant="light" disabled={selected.length === 0} onClick={() => openBulk('reject')} data-testid="bulk-reject">
              {t('review.rejectSelected', { count: selected.length })}
            </Button>
          </Group>
        }
      />
      <ApiErrorAlert error={queue.error} />
      <Card withBorder radius="md" p={0} style={{ overflowX: "auto" }}>
        <Table highlightOnHover verticalSpacing="xs" horizontalSpacing="md">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={40}>
                <Checkbox
                  aria-label={t('review.selectAll')}
                  checked={allSelected}
                  indeterminate={!allSelected && selected.length > 0}
                  onChange={() => setSelected(allSelected ? [] : items.map((item) => item.id))}
                />
              </Table.Th>
              <Table.Th>{t('review.waiting')}</Table.Th>
              <Table.Th>{t('refunds.refund')}</Table.Th>
              <Table.Th ta="right">{t('refunds.amount')}</Table.Th>
              <Table.Th>{t('refunds.reason')}</Table.Th>
              <Table.Th>{t('review.autoApproveAt')}</Table.Th>
              <Table.Th>{t('review.decide')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((refund) => (
              <Table.Tr key={refund.id} bg={selected.includes(refund.id) ? 'var(--mantine-color-blue-light)' : undefined} data-testid={`queue-row-${refund.id}`}>
                <Table.Td>
                  <Checkbox
                    aria-label={t('review.select', { id: refund.id })}
                    checked={selected.includes(refund.id)}
                    onChange={(event) => {
                      const checked = event.currentTarget.checked;
                      setSelected((current) => (checked ? [...current, refund.id] : current.filter((id) => id !== refund.id)));
                    }}
                  />
                </Table.Td>
                <Table.Td>
                  <Age seconds={refund.ageSeconds} />
                </Table.Td>
                <Table.Td>
                  <RefundLink id={refund.id} orderId={refund.orderId} />
                </Table.Td>
                <Table.Td ta="right">
                  <Money amount={refund.amount} currency={refund.currency} />
                </Table.Td>
                <Table.Td>{t(`reason.${refund.reason}`, { defaultValue: refund.reason })}</Table.Td>
                <Table.Td>
                  {refund.autoApproveAt ? (
                    <Time at={refund.autoApproveAt} />
                  ) : (
                    <Badge color="orange" variant="light">
                      {t('review.personMustDecide')}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <RefundActions refund={refund} compact />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {queue.isSuccess && items.length === 0 && <Empty>{t('review.empty')}</Empty>}
      </Card>
      <Pager cursor={cursor} nextCursor={queue.data?.nextCursor} onPage={(next) => navigate({ search: compact({ cursor: next }) })} />

      <Modal
        opened={!!bulk}
        onClose={() => !running && setBulk(undefined)}
        centered
        title={<Text fw={600}>{bulk && t(bulk.kind === 'approve' ? 'review.bulkApproveTitle' : 'review.bulkRejectTitle', { count: bulk.ids.length })}</Text>}
      >
        {bulk && (
          <Stack>
            <Textarea
              label={bulk.kind === 'approve' ? t('common.note') : t('actions.reason')}
              required={bulk.kind === 'reject'}
              value={note}
              onChange={(event) => setNote(event.currentTarget.value)}
              disabled={running || !!results}
              autosize
              minRows={2}
            />
            {results && (
              <>
                <Progress value={(results.length / bulk.ids.length) * 100} color={results.every((result) => result.ok) ? 'teal' : 'orange'} />
                {results
                  .filter((result) => !result.ok)
                  .map((result) => (
                    <Alert key={result.id} color="red" title={result.id}>
                      {result.message}
                    </Alert>
                  ))}
                {!running && (
                  <Text size="sm" data-testid="bulk-summary">
                    {t('review.bulkDone', { ok: results.filter((result) => result.ok).length, total: bulk.ids.length })}
                  </Text>
                )}
              </>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setBulk(undefined)} disabled={running}>
                {results && !running ? t('common.close') : t('common.cancel')}
              </Button>
              {!(results && !running) && (
                <Button color={bulk.kind === 'approve' ? 'teal' : 'red'} loading={running} disabled={bulk.kind === 'reject' && !note.trim()} onClick={runBulk} data-testid="bulk-confirm">
                  {t(bulk.kind === 'approve' ? 'actions.approve' : 'actions.reject')}
                </Button>
              )}
            </Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}
