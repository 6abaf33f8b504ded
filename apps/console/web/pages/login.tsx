// Signing in. In development the console's server mints a token for the role picked (never in
// production); in production the shop's identity provider hands a token over (`#token=<JWT>` in the
// URL's fragment, or pasted here).
import { useState } from 'react';
import { Alert, Button, Card, Center, Divider, Group, Stack, Text, TextInput, Textarea, Title } from '@mantine/core';
import { IconShieldCheck, IconUser, IconUserCog } from '@tabler/icons-react';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { useConsole } from '../app/console-context';
import { rootRoute } from '../app/root';
import { text } from '../app/search';

export const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/login',
  validateSearch: (search: Record<string, unknown>): { next?: string } => ({ next: text(search, 'next') }),
  component: LoginPage,
});

const DEV_ROLES = [
  { role: 'support', icon: IconUser, color: 'blue' },
  { role: 'admin', icon: IconUserCog, color: 'grape' },
  { role: 'customer', icon: IconShieldCheck, color: 'orange' },
] as const;

function LoginPage() {
  const { t } = useTranslation();
  const { config, signIn } = useConsole();
  const { next } = loginRoute.useSearch();
  const navigate = useNavigate();
  const [sub, setSub] = useState('');
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | undefined>();

  const enter = (token: string) => {
    if (!signIn(token)) return setError(t('login.badToken'));
    // only a path of this console, never another site
    void navigate({ to: next && next.startsWith('/') && !next.startsWith('//') ? next : '/' });
  };
  const devLogin = async (role: string) => {
    setBusy(role);
    setError(undefined);
    try {
      const response = await fetch('/dev-token', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ role, ...(sub.trim() ? { sub: sub.trim() } : {}) }),
      });
      const body = await response.json();
      if (!response.ok) return setError(body?.error?.message ?? `HTTP ${response.status}`);
      enter(body.token);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Center mih="100vh" bg="gray.1" p="md">
      <Card withBorder shadow="sm" radius="md" p="xl" w={440}>
        <Stack>
          <div>
            <Title order={2}>Ebb</Title>
            <Text c="dimmed" size="sm">
              {t('login.subtitle')}
            </Text>
          </div>
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          {config.ssoUrl && (
            <Button component="a" href={`${config.ssoUrl}${config.ssoUrl.includes('?') ? '&' : '?'}return_to=${encodeURIComponent(window.location.origin + '/')}`}>
              {t('login.sso')}
            </Button>
          )}
          {config.devLogin && (
            <>
              <Divider label={t('login.devTitle')} labelPosition="center" />
              <Text size="xs" c="dimmed">
                {t('login.devHint')}
              </Text>
              <TextInput label={t('login.subject')} placeholder="agent-42" value={sub} onChange={(event) => setSub(event.currentTarget.value)} />
              <Group grow>
                {DEV_ROLES.map(({ role, icon: Icon, color }) => (
                  <Button key={role} color={color} variant="light" leftSection={<Icon size={16} />} loading={busy === role} onClick={() => devLogin(role)} data-testid={`login-${role}`}>
                    {t(`role.${role}`)}
                  </Button>
                ))}
              </Group>
            </>
          )}
          <Divider label={t('login.pasteTitle')} labelPosition="center" />
          <Textarea placeholder="eyJhbGciOiJIUzI1NiIs…" value={pasted} onChange={(event) => setPasted(event.currentTarget.value)} autosize minRows={2} aria-label={t('login.pasteTitle')} />
          <Button variant="default" disabled={!pasted.trim()} onClick={() => enter(pasted)}>
            {t('login.useToken')}
          </Button>
          <Text size="xs" c="dimmed">
            {t('login.ssoHint')}
          </Text>
        </Stack>
      </Card>
    </Center>
  );
}
