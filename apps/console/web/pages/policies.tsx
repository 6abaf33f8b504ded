// Refund policies: a seller's window, review and rules beside a product's window (which applies now and
// why). Admin writes, support reads. The change log, the migration and the rollout flag are pages of
// their own in the same section.
import { Grid } from '@mantine/core';
import { IconAdjustments } from '@tabler/icons-react';
import { createRoute, useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { type NavEntry, rootRoute } from '../app/root';
import { compact, text } from '../app/search';
import { PageHeader } from '../app/ui';
import { ProductPolicyCard } from './product-policy-card';
import { SellerPolicyCard } from './seller-policy-card';

export const policiesRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/policies',
  validateSearch: (search: Record<string, unknown>): { sellerId?: string; productId?: string } =>
    compact({ sellerId: text(search, 'sellerId'), productId: text(search, 'productId') }),
  component: PoliciesPage,
});

export const policiesNav: NavEntry = { to: '/policies', label: 'nav.policies', icon: IconAdjustments, section: 'settings', roles: ['support', 'admin'] };

function PoliciesPage() {
  const { t } = useTranslation();
  const search = policiesRoute.useSearch();
  const navigate = useNavigate({ from: policiesRoute.fullPath });
  return (
    <>
      <PageHeader title={t('policies.title')} description={t('policies.description')} />
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <SellerPolicyCard key={search.sellerId} sellerId={search.sellerId} onLookUp={(sellerId) => navigate({ search: (previous: typeof search) => compact({ ...previous, sellerId }) })} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <ProductPolicyCard key={search.productId} productId={search.productId} onLookUp={(productId) => navigate({ search: (previous: typeof search) => compact({ ...previous, productId }) })} />
        </Grid.Col>
      </Grid>
    </>
  );
}
