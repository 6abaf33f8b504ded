// A seller's refund policy: its window, how its customers' refunds are reviewed, and the rules every
// product window of the seller must keep (minimum, maximum, whether 0 days is allowed). Admin writes;
// support reads. The API checks the rules: a refusal (409 policy_conflict) is shown in its words.
import { useState } from 'react';
import { Anchor, Button, Card, Group, NumberInput, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { ApiError, answerOf } from '@ebb/api-client/browser';
import type { SellerPolicy } from '../app/api-types';
import { useConsole } from '../app/console-context';
import { useAction } from '../app/use-action';
import { ApiErrorAlert, LookUp, Time } from '../app/ui';

type NoRefunds = 'unstated' | 'allowed' | 'refused';

interface SellerForm {
  windowDays: number;
  minWindowDays?: number;
  maxWindowDays?: number;
  noRefunds: NoRefunds;
  review: 'automatic' | 'manual';
}

const notFound = (error: unknown) => error instanceof ApiError && error.status === 404;

const formOf = (policy: SellerPolicy | undefined): SellerForm => ({
  windowDays: policy?.windowDays ?? 30,
  minWindowDays: policy?.minWindowDays ?? undefined,
  maxWindowDays: policy?.maxWindowDays ?? undefined,
  noRefunds: policy?.allowNoRefunds === true ? 'allowed' : policy?.allowNoRefunds === false ? 'refused' : 'unstated',
  review: policy?.review ?? 'automatic',
});

/** The PUT body: a rule left empty is no rule (the API stores what it is sent). */
const bodyOf = (form: SellerForm) => ({
  windowDays: form.windowDays,
  review: form.review,
  ...(form.minWindowDays !== undefined ? { minWindowDays: form.minWindowDays } : {}),
  ...(form.maxWindowDays !== undefined ? { maxWindowDays: form.maxWindowDays } : {}),
  ...(form.noRefunds !== 'unstated' ? { allowNoRefunds: form.noRefunds === 'allowed' } : {}),
});

/** A number input's value as a number of days, or undefined when empty. */
const daysOrNone = (value: string | number) => (value === '' || value === undefined ? undefined : Number(value));

export function SellerPolicyCard({ sellerId, onLookUp }: { sellerId?: string; onLookUp(id: string | undefined): void }) {
  const { t } = useTranslation();
  const { api, session } = useConsole();
  const readOnly = session?.role !== 'admin';
  const policy = useQuery({
    queryKey: ['policy', 'seller', sellerId],
    enabled: !!sellerId,
    retry: false,
    queryFn: () => answerOf(api('refund').GET('/v1/refund-policies/sellers/{sellerId}', { params: { path: { sellerId: sellerId! } } })),
  });
  const [edit, setEdit] = useState<SellerForm | undefined>();
  const save = useAction(
    ({ sellerId: id, form }: { sellerId: string; form: SellerForm }) =>
      answerOf(api('refund').PUT('/v1/refund-policies/sellers/{sellerId}', { params: { path: { sellerId: id } }, body: bodyOf(form) })),
    { invalidate: [['policy'], ['policy-changes']], done: (saved) => t('policies.saved', { id: saved.sellerId }), failed: t('errors.refused') },
  );
  const form = edit ?? formOf(policy.data);
  const set = (changes: Partial<SellerForm>) => setEdit({ ...form, ...changes });
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
            <Group justify="space-between">
              <Text size="sm" c="dimmed">
                {policy.data ? (
                  <>
                    {t('policies.updatedAt')} <Time at={policy.data.updatedAt} /> {policy.data.updatedBy && t('policies.by', { actor: policy.data.updatedBy })}
                  </>
                ) : (
                  t('policies.noneYet')
                )}
              </Text>
              <Anchor component={Link} to="/policy-changes" search={{ sellerId } as never} size="sm">
                {t('policies.changeLog')}
              </Anchor>
            </Group>
            <NumberInput label={t('policies.windowDays')} description={t('policies.windowHint')} min={0} max={3650} readOnly={readOnly} value={form.windowDays} onChange={(value) => set({ windowDays: Number(value) || 0 })} data-testid="seller-window" />
            <SimpleGrid cols={2}>
              <NumberInput label={t('policies.minWindowDays')} description={t('policies.noRule')} min={0} max={3650} readOnly={readOnly} value={form.minWindowDays ?? ''} onChange={(value) => set({ minWindowDays: daysOrNone(value) })} />
              <NumberInput label={t('policies.maxWindowDays')} description={t('policies.noRule')} min={0} max={3650} readOnly={readOnly} value={form.maxWindowDays ?? ''} onChange={(value) => set({ maxWindowDays: daysOrNone(value) })} />
            </SimpleGrid>
            <div>
              <Text size="sm" fw={500} mb={4}>
                {t('policies.allowNoRefunds')}
              </Text>
              <SegmentedControl
                value={form.noRefunds}
                readOnly={readOnly}
                onChange={(value) => set({ noRefunds: value as NoRefunds })}
                data={(['unstated', 'allowed', 'refused'] as const).map((value) => ({ value, label: t(`policies.noRefunds.${value}`) }))}
              />
            </div>
            <div>
              <Text size="sm" fw={500} mb={4}>
                {t('policies.review')}
              </Text>
              <SegmentedControl
                value={form.review}
                readOnly={readOnly}
                onChange={(value) => set({ review: value === 'manual' ? 'manual' : 'automatic' })}
                data={[
                  { value: 'automatic', label: t('policies.reviewAutomatic') },
                  { value: 'manual', label: t('policies.reviewManual') },
                ]}
              />
            </div>
            <ApiErrorAlert error={save.error} />
            {readOnly ? (
              <Text size="xs" c="dimmed">
                {t('policies.adminWrites')}
              </Text>
            ) : (
              <Group justify="flex-end">
                <Button loading={save.pending} onClick={() => save.run({ sellerId, form })} data-testid="seller-save">
                  {t('common.save')}
                </Button>
              </Group>
            )}
          </>
        )}
      </Stack>
    </Card>
  );
}
