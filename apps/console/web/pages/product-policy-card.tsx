// A product's refund window: the one that applies to a purchase now and where it comes from (the
// product's own, its seller's, or the platform's default), and the product's own window, which admin
// sets. A window outside the seller's rules is refused (409 policy_conflict), shown in the API's words.
import { useState } from 'react';
import { Anchor, Badge, Button, Card, Group, NumberInput, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { answerOf } from '@ebb/api-client/browser';
import { useConsole } from '../app/console-context';
import { useAction } from '../app/use-action';
import { ApiErrorAlert, LookUp, Time } from '../app/ui';

function Figure({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div" data-testid={testId}>
        {children}
      </Text>
    </div>
  );
}

export function ProductPolicyCard({ productId, onLookUp }: { productId?: string; onLookUp(id: string | undefined): void }) {
  const { t } = useTranslation();
  const { api, session } = useConsole();
  const readOnly = session?.role !== 'admin';
  const policy = useQuery({
    queryKey: ['policy', 'product', productId],
    enabled: !!productId,
    retry: false,
    queryFn: () => answerOf(api('refund').GET('/v1/refund-policies/products/{productId}', { params: { path: { productId: productId! } } })),
  });
  const [draft, setDraft] = useState<{ windowDays?: number; reason: string }>({ reason: '' });
  const save = useAction(
    (body: { productId: string; windowDays: number; reason?: string }) =>
      answerOf(
        api('refund').PUT('/v1/refund-policies/products/{productId}', {
          params: { path: { productId: body.productId } },
          body: { windowDays: body.windowDays, ...(body.reason ? { reason: body.reason } : {}) },
        }),
      ),
    { invalidate: [['policy'], ['policy-changes']], done: (saved) => t('policies.saved', { id: saved.productId }), failed: t('errors.refused') },
  );
  const now = policy.data;
  const windowDays = draft.windowDays ?? now?.ownWindowDays ?? now?.windowDays ?? 30;
  return (
    <Card withBorder radius="md">
      <Title order={4} mb="sm">
        {t('policies.product')}
      </Title>
      <Stack>
        <LookUp label={t('policies.productId')} value={productId} onLookUp={(id) => (setDraft({ reason: '' }), onLookUp(id))} />
        <ApiErrorAlert error={policy.error} />
        {productId && now && (
          <>
            <SimpleGrid cols={2}>
              <Figure label={t('policies.appliesNow')} testId="product-window-now">
                {t('policies.days', { count: now.windowDays })}{' '}
                <Badge variant="light" color={now.source === 'product' ? 'blue' : now.source === 'seller' ? 'grape' : 'gray'}>
                  {t(`policies.source.${now.source}`)}
                </Badge>
              </Figure>
              <Figure label={t('policies.seller')}>
                <Anchor component={Link} to="/policies" search={{ sellerId: now.sellerId, productId } as never} size="sm">
                  {now.sellerId}
                </Anchor>
              </Figure>
              <Figure label={t('policies.ownWindow')}>{now.ownWindowDays === null ? '—' : t('policies.days', { count: now.ownWindowDays })}</Figure>
              <Figure label={t('policies.perProduct')}>{now.perProductPolicies ? t('policies.perProductOn') : t('policies.perProductOff')}</Figure>
            </SimpleGrid>
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                {t('policies.updatedAt')} <Time at={now.updatedAt} /> {now.updatedBy && t('policies.by', { actor: now.updatedBy })}
              </Text>
              <Anchor component={Link} to="/policy-changes" search={{ productId } as never} size="sm">
                {t('policies.changeLog')}
              </Anchor>
            </Group>
            {readOnly ? (
              <Text size="xs" c="dimmed">
                {t('policies.adminWrites')}
              </Text>
            ) : (
              <>
                <NumberInput label={t('policies.ownWindowDays')} description={t('policies.windowHint')} min={0} max={3650} value={windowDays} onChange={(value) => setDraft({ ...draft, windowDays: Number(value) || 0 })} data-testid="product-window" />
                <TextInput label={t('policies.reason')} value={draft.reason} onChange={(event) => setDraft({ ...draft, reason: event.currentTarget.value })} />
                <ApiErrorAlert error={save.error} />
                <Group justify="flex-end">
                  <Button loading={save.pending} onClick={() => save.run({ productId, windowDays, reason: draft.reason.trim() || undefined })} data-testid="product-save">
                    {t('common.save')}
                  </Button>
                </Group>
              </>
            )}
          </>
        )}
      </Stack>
    </Card>
  );
}
