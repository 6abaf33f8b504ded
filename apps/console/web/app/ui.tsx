// Small pieces every page uses: status badges, money and times as the viewer reads them, the API's
// refusals in its own words, pagers and confirmations.
import { type ReactNode, useState } from 'react';
import { Alert, Badge, Button, Code, Group, Modal, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { IconAlertTriangle, IconLock } from '@tabler/icons-react';
import { Link } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { ApiError } from '@ebb/api-client/browser';
import { dateTime, duration, money } from './format';

const STATUS_COLORS: Record<string, string> = {
  requested: 'gray',
  pending_review: 'yellow',
  approved: 'blue',
  intercepting: 'cyan',
  awaiting_return: 'grape',
  inspecting: 'violet',
  refunding: 'indigo',
  succeeded: 'teal',
  failed: 'red',
  rejected: 'orange',
  cancelled: 'gray',
  outcome_unknown: 'red',
  pending: 'yellow',
  sent: 'teal',
  queued: 'gray',
  // policy migrations and reconciliations, and their differences
  running: 'blue',
  done: 'teal',
  rolling_back: 'orange',
  rolled_back: 'gray',
  open: 'red',
  repaired: 'teal',
  resolved: 'gray',
};

export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Badge color={STATUS_COLORS[status] ?? 'gray'} variant="light" radius="sm" style={{ minWidth: 'max-content', overflow: 'visible' }}>
      {t(`status.${status}`, { defaultValue: status })}
    </Badge>
  );
}

export function Money({ amount, currency }: { amount: number; currency: string }) {
  const { i18n } = useTranslation();
  return (
    <Text span ff="monospace" style={{ whiteSpace: 'nowrap' }}>
      {money(i18n.language, amount, currency)}
    </Text>
  );
}

export function Time({ at }: { at: string | null | undefined }) {
  const { i18n } = useTranslation();
  return (
    <Text span size="sm" style={{ whiteSpace: 'nowrap' }} title={at ?? undefined}>
      {dateTime(i18n.language, at)}
    </Text>
  );
}

export function Age({ seconds }: { seconds: number }) {
  const { i18n } = useTranslation();
  return <Text span size="sm">{duration(i18n.language, seconds)}</Text>;
}

/** A refusal as the API worded it (`error.message`), its code beside; 401/403 say the token may not do this. */
export function ApiErrorAlert({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  const denied = api && (api.status === 401 || api.status === 403);
  return (
    <Alert
      color={denied ? 'orange' : 'red'}
      icon={denied ? <IconLock size={18} /> : <IconAlertTriangle size={18} />}
      title={denied ? t('errors.notAllowed') : t('errors.refused')}
      data-testid="api-error"
      role="alert"
    >
      <Stack gap={4}>
        <Text size="sm">{(error as Error).message}</Text>
        {api && (
          <Text size="xs" c="dimmed">
            HTTP {api.status} · <Code>{api.code}</Code>
          </Text>
        )}
      </Stack>
    </Alert>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" align="flex-end" mb="md" wrap="nowrap">
      <div>
        <Title order={2} fw={600}>
          {title}
        </Title>
        {description && (
          <Text c="dimmed" size="sm" mt={4}>
            {description}
          </Text>
        )}
      </div>
      {actions}
    </Group>
  );
}

/** First page / next page of an API list paged by an opaque cursor kept in the URL. */
export function Pager({ cursor, nextCursor, onPage }: { cursor?: string; nextCursor?: string | null; onPage(cursor: string | undefined): void }) {
  const { t } = useTranslation();
  return (
    <Group justify="flex-end" mt="sm">
      <Button variant="default" size="xs" disabled={!cursor} onClick={() => onPage(undefined)}>
        {t('pager.first')}
      </Button>
      <Button variant="default" size="xs" disabled={!nextCursor} onClick={() => nextCursor && onPage(nextCursor)}>
        {t('pager.next')}
      </Button>
    </Group>
  );
}

/**
 * A button that asks first: a modal naming what will happen, an optional note (required when
 * `noteRequired`), Confirm and Cancel. Confirm runs `onConfirm` once however often it is clicked.
 */
export function ConfirmButton(props: {
  label: ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  color?: string;
  variant?: string;
  size?: string;
  note?: 'optional' | 'required';
  noteLabel?: string;
  disabled?: boolean;
  loading?: boolean;
  testId?: string;
  onConfirm(note: string | undefined): Promise<unknown>;
}) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const missingNote = props.note === 'required' && note.trim() === '';
  const confirm = async () => {
    if (busy || missingNote) return;
    setBusy(true);
    try {
      // an action answers undefined when it failed (its refusal is shown): the dialog stays open
      if ((await props.onConfirm(note.trim() || undefined)) === undefined) return;
      setOpen(false);
      setNote('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button
        size={props.size ?? 'xs'}
        color={props.color}
        variant={props.variant ?? 'light'}
        disabled={props.disabled}
        loading={props.loading}
        onClick={() => setOpen(true)}
        data-testid={props.testId}
      >
        {props.label}
      </Button>
      <Modal opened={open} onClose={() => !busy && setOpen(false)} title={<Text fw={600}>{props.title}</Text>} centered>
        <Stack>
          <Text size="sm">{props.message}</Text>
          {props.note && (
            <Textarea
              label={props.noteLabel ?? t('common.note')}
              required={props.note === 'required'}
              value={note}
              onChange={(event) => setNote(event.currentTarget.value)}
              autosize
              minRows={2}
              data-autofocus
            />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button color={props.color} onClick={confirm} loading={busy} disabled={missingNote} data-testid={props.testId ? `${props.testId}-confirm` : undefined}>
              {props.confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" ta="center" py="xl" size="sm">
      {children}
    </Text>
  );
}

/** A refund's id linking to its page, its order's id beneath when given. */
export function RefundLink({ id, orderId }: { id: string; orderId?: string }) {
  return (
    <>
      <Link to="/refunds/$refundId" params={{ refundId: id } as never}>
        <Text size="sm" ff="monospace">
          {id}
        </Text>
      </Link>
      {orderId && (
        <Text size="xs" c="dimmed" ff="monospace">
          {orderId}
        </Text>
      )}
    </>
  );
}

/** One id typed and looked up (the page keeps it in its URL); an empty field clears it. */
export function LookUp({ label, value, button, onLookUp }: { label: string; value?: string; button?: string; onLookUp(value: string | undefined): void }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState(value ?? '');
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        onLookUp(draft.trim() || undefined);
      }}
    >
      <Group align="flex-end" gap="sm">
        <TextInput label={label} value={draft} onChange={(event) => setDraft(event.currentTarget.value)} style={{ flex: 1 }} />
        <Button type="submit" variant="default">
          {button ?? t('policies.lookUp')}
        </Button>
      </Group>
    </form>
  );
}
