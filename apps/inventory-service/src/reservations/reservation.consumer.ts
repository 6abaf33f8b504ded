import { Injectable, type OnModuleInit } from '@nestjs/common';
import { OrderCancelled, OrderCaptured, OrderPlaced, OrderShipped, RefundSucceeded } from '@ebb/contracts';
import { MessageConsumer } from '@ebb/messaging';
import { commitOrder } from './commit-order.handler';
import { releaseCancelledOrder } from './release-cancelled-order.handler';
import { releaseRefundedLines } from './release-refunded-lines.handler';
import { recordShipment } from './record-shipment.handler';
import { reserveOrder } from './reserve-order.handler';

/** The events inventory consumes. The names key the inbox: keep them stable across releases. */
@Injectable()
export class ReservationConsumer implements OnModuleInit {
  constructor(private readonly consumer: MessageConsumer) {}

  onModuleInit() {
    // every handler locks stock rows that all orders share: one batch at a time, in queue order
    this.consumer
      .batchesAtOnce(1)
      .on(OrderPlaced, 'inventory.reserve-order', reserveOrder)
      .on(OrderCaptured, 'inventory.commit-order', commitOrder)
      .on(OrderCancelled, 'inventory.release-cancelled-order', releaseCancelledOrder)
      .on(OrderShipped, 'inventory.record-shipment', recordShipment)
      .on(RefundSucceeded, 'inventory.release-refunded-lines', releaseRefundedLines);
  }
}
