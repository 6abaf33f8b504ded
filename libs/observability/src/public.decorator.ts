import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'ebb:public-route';

/** Marks a route or controller as open without a token (health, metrics, provider webhooks). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
