import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Principal } from '@ebb/http';
import { type HeldLock, LockService, LockTimeoutError, LockUnavailableError, StaleLockError } from '@ebb/locking';
import { type ClaimedCall, OutboundCalls } from '@ebb/outbound';
import { Refund } from './refund.entity';
import { RefundErrorCode, refundError } from './refund-errors';
import type { RefundAction } from './refund-state';

/** Who did it, as history entries name them. */
export const actorOf = (principal: Principal) => `${principal.role}:${principal.sub}`;
/** What support does to one refund (each an action of the refund's machine). */
export type SupportAction = Extract<RefundAction, 'approve' | 'reject' | 'cancel' | 'receive_return' | 'pass_inspection' | 'fail_inspection'>;

/** A change to a refund and the call it waits for, if any (goods to hold before money moves). */
export interface Changed {
  refund: Refund;
  hold?: ClaimedCall;
}

/** A refund the caller may see; a customer sees only their own (others are "not found"). */
export function visible(refund: Refund | null, id: string, principal: Principal): Refund {
  if (!refund || (principal.role === 'customer' && refund.customerId !== principal.sub)) {
    throw refundError(RefundErrorCode.RefundNotFound, `Refund ${id} was not found.`);
  }
  return refund;
}

/** What requesting and acting on refunds share: the order's lock, and the call a change waits for. */
@Injectable()
export class RefundUnitOfWork {
  constructor(
    private readonly dataSource: DataSource,
    private readonly locks: LockService,
    private readonly calls: OutboundCalls,
  ) {}

  /**
   * Runs `fn` in a transaction under the Redis lock `order:<orderId>`. A busy lock, or one that a
   * newer holder has overtaken (fencing), is 409 `refund_in_progress`: the caller may retry.
   */
  async underOrderLock<T>(orderId: string, fn: (lock: HeldLock, manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.locks.withLock(`order:${orderId}`, (lock) => this.dataSource.transaction((manager) => fn(lock, manager)));
    } catch (error) {
      if (error instanceof LockTimeoutError || error instanceof StaleLockError) {
        throw refundError(RefundErrorCode.RefundInProgress, 'Another refund on this order is being processed; try again shortly.');
      }
      if (error instanceof LockUnavailableError) {
        throw refundError(RefundErrorCode.LockUnavailable, 'Refunds cannot be serialised right now; try again shortly.');
      }
      throw error;
    }
  }

  /** After the commit: the call the change waits for (goods held back from shipping) is made now, and the refund read again. */
  async afterCommit({ refund, hold }: Changed): Promise<Refund> {
    if (!hold) return refund;
    await this.calls.runClaimed(hold);
    return this.find(refund.id);
  }

  async find(id: string): Promise<Refund> {
    const refund = await this.dataSource.getRepository(Refund).findOneBy({ id });
    if (!refund) throw refundError(RefundErrorCode.RefundNotFound, `Refund ${id} was not found.`);
    return refund;
  }
}
