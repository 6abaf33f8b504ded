// The event types of the messaging tests: the outbox takes only declared types.
import { z } from 'zod';
import { defineEvent } from '@ebb/contracts';

const keyed = z.looseObject({ key: z.string() });
export const ClaimRequested = defineEvent('claim.requested', keyed);
export const ClaimApproved = defineEvent('claim.approved', keyed);
export const ClaimSucceeded = defineEvent('claim.succeeded', keyed);
export const OrderPaid = defineEvent('order.paid', keyed);
export const BasketPlaced = defineEvent('basket.placed', keyed);
