// Pages whose API would answer a customer with the customer's own data (refund lists) are still
// operator pages: a customer's token sees why it cannot use them. Pages whose API refuses a customer
// (dead letters, provider refunds, audit, policies) simply call it and show the API's 403.
import type { ReactNode } from 'react';
import { Alert, Text } from '@mantine/core';
import { IconLock } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useConsole } from './console-context';
import { isOperator } from './session';

export function OperatorsOnly({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const { session } = useConsole();
  if (isOperator(session?.role)) return <>{children}</>;
  return (
    <Alert color="orange" icon={<IconLock size={18} />} title={t('errors.notAllowed')} data-testid="operators-only" role="alert">
      <Text size="sm">{t('errors.operatorsOnly', { role: t(`role.${session?.role}`, { defaultValue: session?.role }) })}</Text>
    </Alert>
  );
}
