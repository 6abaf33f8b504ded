// The pages: one route module each, and its entry in the navigation. A new page is a module under
// pages/ whose route is added to `routeTree` and its NavEntry to `NAV`.
import { createRouter } from '@tanstack/react-router';
import { rootRoute, type NavEntry } from './root';
import { auditNav, auditRoute } from '../pages/audit';
import { deadLettersNav, deadLettersRoute } from '../pages/dead-letters';
import { homeNav, homeRoute } from '../pages/home';
import { loginRoute } from '../pages/login';
import { orderRefundsRoute } from '../pages/order-refunds';
import { policiesNav, policiesRoute } from '../pages/policies';
import { policyChangesNav, policyChangesRoute } from '../pages/policy-changes';
import { policyMigrationNav, policyMigrationRoute } from '../pages/policy-migration';
import { providerRefundsNav, providerRefundsRoute } from '../pages/provider-refunds';
import { reconciliationNav, reconciliationRoute } from '../pages/reconciliation';
import { refundDetailRoute } from '../pages/refund-detail';
import { refundsNav, refundsRoute } from '../pages/refunds';
import { returnsNav, returnsRoute } from '../pages/returns';
import { reviewQueueNav, reviewQueueRoute } from '../pages/review-queue';
import { rolloutNav, rolloutRoute } from '../pages/rollout';

const routeTree = rootRoute.addChildren([
  homeRoute,
  loginRoute,
  refundsRoute,
  refundDetailRoute,
  reviewQueueRoute,
  returnsRoute,
  orderRefundsRoute,
  deadLettersRoute,
  providerRefundsRoute,
  auditRoute,
  reconciliationRoute,
  policiesRoute,
  policyChangesRoute,
  policyMigrationRoute,
  rolloutRoute,
]);

export const NAV: NavEntry[] = [
  homeNav,
  reviewQueueNav,
  returnsNav,
  refundsNav,
  deadLettersNav,
  providerRefundsNav,
  reconciliationNav,
  auditNav,
  policiesNav,
  policyChangesNav,
  policyMigrationNav,
  rolloutNav,
];

export function consoleRouter() {
  return createRouter({ routeTree, context: { nav: NAV }, defaultPreload: 'intent', scrollRestoration: true });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof consoleRouter>;
  }
}
