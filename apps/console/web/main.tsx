// The console's page: Mantine for the screens, TanStack Query for the API's data, TanStack Router for
// pages whose table state lives in the URL, i18next for English and Chinese.
import '@mantine/core/styles.css';
import '@mantine/charts/styles.css';
import '@mantine/notifications/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider, Table, createTheme } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { ApiError } from '@ebb/api-client/browser';
import { ConsoleProvider } from './app/console-context';
import { startI18n } from './app/i18n';
import { consoleRouter } from './app/router';
import { loadRuntimeConfig } from './app/runtime-config';
import { storedSession, takeTokenFromFragment } from './app/session';

const theme = createTheme({
  primaryColor: 'indigo',
  defaultRadius: 'md',
  fontFamily: 'Inter, system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "PingFang SC", sans-serif',
  fontFamilyMonospace: '"JetBrains Mono", ui-monospace, SFMono-Regular, Menlo, monospace',
  headings: { fontWeight: '600' },
  components: {
    // a table's cells keep to one line (badges, money, times); a wide table scrolls inside its card
    Table: Table.extend({ styles: { th: { whiteSpace: 'nowrap' }, td: { whiteSpace: 'nowrap' } } }),
  },
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5000,
      // a refusal is the answer: asking again will not change it
      retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
    },
  },
});

async function start() {
  const [config] = await Promise.all([loadRuntimeConfig(), startI18n()]);
  const session = takeTokenFromFragment() ?? storedSession();
  const router = consoleRouter();
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <MantineProvider theme={theme} defaultColorScheme="light">
        <Notifications position="top-right" />
        <QueryClientProvider client={queryClient}>
          <ConsoleProvider config={config} initial={session}>
            <RouterProvider router={router} />
          </ConsoleProvider>
        </QueryClientProvider>
      </MantineProvider>
    </StrictMode>,
  );
}

void start();
