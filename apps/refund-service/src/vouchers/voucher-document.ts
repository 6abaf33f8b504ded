import PDFDocument from 'pdfkit';
import { formatMoney } from '@ebb/contracts';
import type { Refund } from '../refunds/refund.entity';

/**
 * A refund's voucher: a one-page PDF (pdfkit) the customer and the shop's accounts keep, saying what
 * was refunded, when and how. Deterministic: its dates are the refund's own, so the same refund always
 * gives the same bytes and the same SHA-256, however often it is made.
 */
export function renderVoucher(refund: Refund, succeededAt: Date): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: 56,
      compress: true,
      info: { Title: `Refund voucher ${refund.id}`, Author: 'Ebb', Subject: `Refund of order ${refund.orderId}`, CreationDate: succeededAt, ModDate: succeededAt },
    });
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
    doc.fontSize(20).text('Refund voucher', { underline: false });
    doc.moveDown();
    const line = (label: string, value: string) => doc.fontSize(11).font('Helvetica-Bold').text(`${label}: `, { continued: true }).font('Helvetica').text(value);
    line('Refund', refund.id);
    line('Order', refund.orderId);
    line('Amount refunded', formatMoney({ amount: refund.amount, currency: refund.currency }));
    line('Refunded on', succeededAt.toISOString());
    line('Reason', refund.reason.replace(/_/g, ' '));
    line('Started by', refund.initiator);
    if (refund.providerRefundId) line('Provider reference', refund.providerRefundId);
    if (refund.paymentId) line('Payment paid back', refund.paymentId);
    if (refund.items?.length) line('Lines', refund.items.map((item) => `${item.quantity} x ${item.sku}`).join(', '));
    doc.moveDown();
    doc.fontSize(9).fillColor('#555555').text('This voucher is kept with the refund; its SHA-256 is recorded by Ebb, so any copy can be checked against it.');
    doc.end();
  });
}
