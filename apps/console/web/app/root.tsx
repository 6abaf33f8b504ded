// The frame around every page: the navigation (one entry per page module), the language switch, who
// is signed in; the login page when nobody is.
import type { ComponentType } from 'react';
import { AppShell, Badge, Burger, Group, NavLink, ScrollArea, SegmentedControl, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconLogout } from '@tabler/icons-react';
import { Link, Navigate, Outlet, createRootRouteWithContext, useRouterState } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { useConsole } from './console-context';
import { LANGUAGES, type Language, setLanguage } from './i18n';

/** A page's entry in the navigation. */
export interface NavEntry {
  to: string;
  /** i18n key of its label */
  label: string;
  icon: ComponentType<{ size?: number; stroke?: number }>;
  section: 'work' | 'operations' | 'settings';
  /** the roles the API grants the page's calls; others see the entry dimmed */
  roles: readonly string[];
}

export interface RouterContext {
  nav: NavEntry[];
}

export const rootRoute = createRootRouteWithContext<RouterContext>()({ component: Frame });

const SECTIONS: NavEntry['section'][] = ['work', 'operations', 'settings'];

function Frame() {
  const { session } = useConsole();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  if (pathname === '/login') return <Outlet />;
  if (!session) return <Navigate to="/login" search={{ next: pathname }} replace />;
  return <Shell />;
}

function Shell() {
  const { t, i18n } = useTranslation();
  const { session, signOut } = useConsole();
  const [opened, { toggle }] = useDisclosure();
  const nav = rootRoute.useRouteContext({ select: (context) => context.nav });
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="lg">
      <AppShell.Header withBorder style={{ background: 'var(--mantine-color-dark-8)' }}>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" color="white" aria-label={t('nav.menu')} />
            <Text fw={700} c="white" size="lg" style={{ letterSpacing: 0.3 }}>
              Ebb
            </Text>
            <Text c="gray.5" size="sm">
              {t('app.title')}
            </Text>
          </Group>
          <Group gap="md" wrap="nowrap">
            <SegmentedControl
              size="xs"
              value={i18n.language}
              onChange={(value) => setLanguage(value as Language)}
              data={LANGUAGES.map((language) => ({ value: language, label: t(`language.${language}`) }))}
              aria-label={t('language.switch')}
            />
            <Badge variant="filled" color={session?.role === 'admin' ? 'grape' : session?.role === 'support' ? 'blue' : 'orange'} data-testid="role">
              {t(`role.${session?.role}`, { defaultValue: session?.role })}
            </Badge>
            <Text c="gray.4" size="sm" visibleFrom="md">
              {session?.sub}
            </Text>
            <Tooltip label={t('nav.signOut')}>
              <UnstyledButton onClick={signOut} aria-label={t('nav.signOut')} c="gray.4">
                <IconLogout size={20} />
              </UnstyledButton>
            </Tooltip>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm">
        <ScrollArea>
          {SECTIONS.map((section) => (
            <div key={section}>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" mt="md" mb={4}>
                {t(`nav.section.${section}`)}
              </Text>
              {nav
                .filter((entry) => entry.section === section)
                .map((entry) => {
                  const active = entry.to === '/' ? pathname === '/' : pathname.startsWith(entry.to);
                  const granted = session ? entry.roles.includes(session.role) : false;
                  return (
                    <NavLink
                      key={entry.to}
                      component={Link}
                      to={entry.to}
                      label={t(entry.label)}
                      leftSection={<entry.icon size={18} stroke={1.6} />}
                      active={active}
                      c={granted ? undefined : 'dimmed'}
                      description={granted ? undefined : t('nav.notForRole')}
                      style={{ borderRadius: 6 }}
                    />
                  );
                })}
            </div>
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main style={{ background: 'var(--mantine-color-gray-0)' }}>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
