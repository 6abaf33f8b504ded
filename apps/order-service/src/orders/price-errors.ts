import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OrderPriceErrorFlagged } from '@ebb/contracts';
import { HttpErrorCode, type Principal, httpError, recordIdempotentEffect } from '@ebb/http';
import { addToOutbox } from '@ebb/messaging';
import { OrderErrorCode, orderError } from './order-errors';
import type { PriceErrorInput } from './order.schemas';
import { OrdersService } from './orders.service';

/** The answer of `POST /v1/orders/:id/price-error`: the lines flagged now, and those flagged before. */
export interface PriceErrorAnswer {
  orderId: string;
  flagged: string[];
  alreadyFlagged: string[];
}

/**
 * Lines an admin flags as sold at a wrong price: each line once (a row per order and sku, under the
 * order's row lock), the new ones announced in `order.price_error_flagged` in the same transaction;
 * refund-service refunds them (`initiator: system`, `reason: price_error`). Flagging a line again
 * changes nothing.
 */
@Injectable()
export class PriceErrors {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersService,
  ) {}

  async flag(orderId: string, input: PriceErrorInput, principal: Principal): Promise<PriceErrorAnswer> {
    return this.dataSource.transaction(async (manager) => {
      const order = await this.orders.lockOrFail(manager, orderId);
      const lines = new Set((await this.orders.lines(manager, orderId)).map((line) => line.sku));
      const unknown = input.skus.flatMap((sku, index) => (lines.has(sku) ? [] : [{ field: `skus.${index}`, message: `is not a line of order ${orderId}` }]));
      if (unknown.length > 0) throw httpError(HttpErrorCode.ValidationError, 'The request body is invalid.', unknown);
      if (order.paymentStatus !== 'captured' && order.paymentStatus !== 'partially_refunded') {
        throw orderError(OrderErrorCode.NotRefundable, 'Nothing of this order is captured and not yet refunded: there is nothing to pay back.', {
          paymentStatus: order.paymentStatus,
        });
      }
      const flaggedBy = `${principal.role}:${principal.sub}`;
      const inserted: { sku: string }[] = await manager.query(
        `INSERT INTO order_price_errors (order_id, sku, note, flagged_by) SELECT $1, sku, $3, $4 FROM unnest($2::text[]) AS sku
         ON CONFLICT (order_id, sku) DO NOTHING RETURNING sku`,
        [orderId, input.skus, input.note, flaggedBy],
      );
      const flagged = input.skus.filter((sku) => inserted.some((row) => row.sku === sku));
      if (flagged.length > 0) await addToOutbox(manager, OrderPriceErrorFlagged, { orderId, skus: flagged, note: input.note, flaggedBy });
      const answer = { orderId, flagged, alreadyFlagged: input.skus.filter((sku) => !flagged.includes(sku)) };
      await recordIdempotentEffect(manager, `price-error:${orderId}`, answer);
      return answer;
    });
  }
}
