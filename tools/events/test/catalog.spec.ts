import { readFileSync } from 'node:fs';
import { CATALOG, catalog, renderCatalog } from '../catalog';

describe('the event catalog (docs/events.md)', () => {
  const entries = catalog();

  it('is what the code says: run npm run events:catalog after changing an event, a publisher or a consumer', () => {
    expect(readFileSync(CATALOG, 'utf8')).toBe(renderCatalog(entries));
  });

  it('finds the publisher and the consumers of the refund path', () => {
    const byName = new Map(entries.map((entry) => [entry.name, entry]));
    expect(byName.get('refund.succeeded')).toMatchObject({
      publishers: ['refund-service'],
      consumers: expect.arrayContaining(['order-service: `orders.apply-refund`', 'inventory-service: `inventory.release-refunded-lines`']),
    });
    expect(byName.get('refund.refunding')?.consumers).toContain('payment-service: `payments.request-provider-refund`');
    expect(byName.get('payment.refund_succeeded')).toMatchObject({ publishers: ['payment-service'], consumers: ['refund-service: `refunds.settle-succeeded-refund`'] });
  });

  it('has a publisher for every event a service consumes', () => {
    expect(entries.filter((entry) => entry.consumers.length > 0 && entry.publishers.length === 0).map((entry) => entry.name)).toEqual([]);
  });
});
