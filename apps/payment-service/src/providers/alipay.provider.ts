import { AlipaySdk } from 'alipay-sdk';
import { unzipSync } from 'fflate';
import { MoneyError, minorToMajor, parseMajor } from '@ebb/contracts';
import {
  type CreatePaymentInput,
  type CreatedPayment,
  InvalidSignatureError,
  MalformedEventError,
  type PaymentProvider,
  type ProviderEvent,
  type ProviderPaymentRecord,
  ProviderRefusedError,
  type ProviderRefundRecord,
  type ProviderRefundState,
  type ProviderStatement,
  type RefundInput,
  type RefundReference,
  REFUND_NOT_FOUND,
  parseRefundNumber,
  refundNumberOf,
} from './payment-provider';
import { measured } from './provider-metrics';

export interface AlipayProviderOptions {
  appId: string;
  /** the merchant's application private key (PEM, PKCS#8): signs every request (RSA2) */
  privateKey: string;
  /** Alipay's public key (PEM): verifies every answer and notification */
  alipayPublicKey: string;
  /** `http://127.0.0.1:4010/alipay/gateway.do` for the sandbox, `https://openapi.alipay.com/gateway.do` in production */
  gateway: string;
  /** where Alipay sends a trade's notifications (payment-service's `/v1/webhooks/alipay`) */
  notifyUrl: string;
  timeoutMs?: number;
}

/** Alipay answers a business refusal with a sub_code; these say "the system failed, the outcome is unknown": ask again. */
const UNKNOWN_OUTCOME = new Set(['ACQ.SYSTEM_ERROR', 'isp.unknow-error', 'aop.ACQ.SYSTEM_ERROR']);

type AlipayResult = Record<string, string | undefined> & { code?: string; msg?: string; sub_code?: string; sub_msg?: string };

/** Ebb's refund id at Alipay: the trade number and the refund request's number (Alipay names a refund by the two). */
const refundIdOf = (tradeNo: string, outRequestNo: string) => `${tradeNo}/${outRequestNo}`;
function splitRefundId(providerRefundId: string): { tradeNo: string; outRequestNo: string } {
  const at = providerRefundId.indexOf('/');
  if (at <= 0) throw new ProviderRefusedError(`${providerRefundId} is not an Alipay refund of Ebb's (trade_no/out_request_no)`);
  return { tradeNo: providerRefundId.slice(0, at), outRequestNo: providerRefundId.slice(at + 1) };
}

const yuan = (fen: number) => minorToMajor(fen, 'CNY');
function fen(text: string | undefined, field: string): number {
  try {
    if (text === undefined) throw new MoneyError('missing');
    return parseMajor(text, 'CNY');
  } catch (error) {
    if (error instanceof MoneyError) throw new MalformedEventError(`${field}: ${JSON.stringify(text ?? null)} is not an amount in yuan`);
    throw error;
  }
}

/**
 * Alipay through its official SDK (`alipay-sdk`, the gateway API with RSA2 both ways), pointed at the
 * sandbox in development and tests. Amounts are yuan strings with two decimals at Alipay and fen
 * (CNY minor units) in Ebb, converted with integers only. A payment is a precreated trade whose
 * `out_trade_no` is Ebb's payment id and whose QR code the customer scans; a refund is
 * `alipay.trade.refund` whose `out_request_no` (`<refundId>-<attempt>`) is the idempotency key.
 */
export class AlipayProvider implements PaymentProvider {
  readonly name = 'alipay' as const;
  readonly currencies = ['CNY'] as const;
  readonly dayOffsetMinutes = 8 * 60;
  readonly acknowledgement = { contentType: 'text/plain; charset=utf-8', body: 'success' };
  private readonly sdk: AlipaySdk;

  constructor(private readonly options: AlipayProviderOptions) {
    this.sdk = new AlipaySdk({
      appId: options.appId,
      privateKey: options.privateKey,
      alipayPublicKey: options.alipayPublicKey,
      gateway: options.gateway,
      keyType: 'PKCS8',
      signType: 'RSA2',
      camelcase: false,
      timeout: options.timeoutMs ?? 20000,
    });
  }

  /** One gateway call, its answer's signature verified; a refusal is ProviderRefusedError, anything unknown throws as is. */
  private async call(method: string, bizContent: Record<string, unknown>, extra: Record<string, string> = {}): Promise<AlipayResult> {
    const result = (await this.sdk.exec(method, { bizContent, ...extra }, { validateSign: true })) as AlipayResult;
    if (result.code === '10000') return result;
    const subCode = result.sub_code ?? result.code ?? 'unknown';
    if (result.code === '20000' || UNKNOWN_OUTCOME.has(subCode)) throw new Error(`Alipay ${method}: ${subCode} ${result.sub_msg ?? result.msg ?? ''}`);
    throw new ProviderRefusedError(`${result.sub_msg ?? result.msg ?? 'refused'} (${subCode})`, subCode);
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    if (input.currency !== 'CNY') throw new ProviderRefusedError(`Alipay takes CNY, not ${input.currency}`, 'currency_not_supported');
    const result = await measured(this.name, 'create_payment', () =>
      this.call('alipay.trade.precreate', { out_trade_no: input.paymentId, total_amount: yuan(input.amount), subject: `Order ${input.orderId}` }, { notify_url: this.options.notifyUrl }),
    );
    return { providerPaymentId: input.paymentId, qrCode: result.qr_code };
  }

  /** Alipay answers a precreate of the same trade with the same code: asked again, the customer scans the same one. */
  retrievePayment(_providerPaymentId: string, input: CreatePaymentInput): Promise<CreatedPayment> {
    return this.createPayment(input);
  }

  async lookupPayment(providerPaymentId: string): Promise<ProviderPaymentRecord | null> {
    let trade: AlipayResult;
    try {
      trade = await measured(this.name, 'retrieve_payment', () => this.call('alipay.trade.query', { out_trade_no: providerPaymentId }));
    } catch (error) {
      if (error instanceof ProviderRefusedError && error.code === 'ACQ.TRADE_NOT_EXIST') return null;
      throw error;
    }
    // a trade closed after a full refund was paid all the same: it has a payment time
    const paid = trade.trade_status === 'TRADE_SUCCESS' || trade.trade_status === 'TRADE_FINISHED' || (trade.trade_status === 'TRADE_CLOSED' && !!trade.send_pay_date);
    const status = paid ? 'succeeded' : trade.trade_status === 'TRADE_CLOSED' ? 'canceled' : 'pending';
    return { providerPaymentId, status, amount: paid ? fen(trade.total_amount, 'total_amount') : 0, currency: 'CNY' };
  }

  async cancelPayment(providerPaymentId: string): Promise<void> {
    try {
      await measured(this.name, 'cancel_payment', () => this.call('alipay.trade.close', { out_trade_no: providerPaymentId }));
    } catch (error) {
      // never scanned: Alipay holds no trade, there is nothing to close
      if (error instanceof ProviderRefusedError && error.code === 'ACQ.TRADE_NOT_EXIST') return;
      throw error;
    }
  }

  /** Alipay pays a refund at once (fund_change), and answers a repeated out_request_no with the refund it made. */
  async refund(input: RefundInput): Promise<ProviderRefundState> {
    const outRequestNo = refundNumberOf(input.refundId, input.attempt);
    const result = await measured(this.name, 'refund', () =>
      this.call('alipay.trade.refund', { out_trade_no: input.providerPaymentId, refund_amount: yuan(input.amount), out_request_no: outRequestNo, refund_reason: 'Ebb refund' }),
    );
    return { providerRefundId: refundIdOf(result.trade_no ?? '', outRequestNo), status: 'succeeded', amount: input.amount };
  }

  async retrieveRefund(providerRefundId: string): Promise<ProviderRefundState> {
    const { tradeNo, outRequestNo } = splitRefundId(providerRefundId);
    const result = await measured(this.name, 'retrieve_refund', () => this.call('alipay.trade.fastpay.refund.query', { trade_no: tradeNo, out_request_no: outRequestNo })).catch((error: unknown) => {
      if (error instanceof ProviderRefusedError && error.code === 'ACQ.TRADE_NOT_EXIST') throw new ProviderRefusedError(error.message, REFUND_NOT_FOUND);
      throw error;
    });
    // Alipay answers a refund it did not make without its amount or status
    if (!result.refund_amount) throw new ProviderRefusedError(`Alipay made no refund ${outRequestNo} of trade ${tradeNo}`, REFUND_NOT_FOUND);
    return { providerRefundId, status: 'succeeded', amount: fen(result.refund_amount, 'refund_amount') };
  }

  async findRefund(reference: RefundReference): Promise<ProviderRefundState | null> {
    const outRequestNo = refundNumberOf(reference.refundId, reference.attempt);
    let result: AlipayResult;
    try {
      result = await measured(this.name, 'find_refund', () =>
        this.call('alipay.trade.fastpay.refund.query', { out_trade_no: reference.providerPaymentId, out_request_no: outRequestNo }),
      );
    } catch (error) {
      if (error instanceof ProviderRefusedError && error.code === 'ACQ.TRADE_NOT_EXIST') return null;
      throw error;
    }
    if (!result.refund_amount) return null;
    return { providerRefundId: refundIdOf(result.trade_no ?? '', outRequestNo), status: 'succeeded', amount: fen(result.refund_amount, 'refund_amount') };
  }

  /** The Beijing day's trade bill: a zip of GBK CSV, every trade paid and every refund made that day. */
  async statement(day: string): Promise<ProviderStatement> {
    return measured(this.name, 'statement', async () => {
      let url: string;
      try {
        url = (await this.call('alipay.data.dataservice.bill.downloadurl.query', { bill_type: 'trade', bill_date: day })).bill_download_url ?? '';
      } catch (error) {
        if (error instanceof ProviderRefusedError && error.code === 'isp.bill_not_exist') return { payments: [], refunds: [] };
        throw error;
      }
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 20000) });
      if (!response.ok) throw new Error(`Alipay's bill download answered ${response.status}`);
      return parseAlipayBill(Buffer.from(await response.arrayBuffer()));
    });
  }

  verifyWebhook(rawBody: Buffer, _headers: Record<string, string | string[] | undefined>): ProviderEvent {
    const params = Object.fromEntries(new URLSearchParams(rawBody.toString('utf8')));
    if (!params.sign) throw new InvalidSignatureError('the notification carries no sign');
    // every field but sign and sign_type, sorted, as Alipay signs its notifications (RSA2)
    if (!this.sdk.checkNotifySignV2(params)) throw new InvalidSignatureError('the notification signature does not verify');
    if (params.app_id !== this.options.appId) throw new InvalidSignatureError(`the notification is for app ${params.app_id}, not ours`);
    for (const field of ['notify_id', 'out_trade_no', 'trade_no', 'trade_status']) {
      if (!params[field]) throw new MalformedEventError(`${field}: is missing`);
    }
    const base = { eventId: params.notify_id, type: `trade_status_sync.${params.out_biz_no ? 'refund' : params.trade_status}`, payload: params };
    if (params.out_biz_no) {
      // a refund: ours carries our number; one made elsewhere (the merchant's dashboard) is looked up for its amount
      const ours = parseRefundNumber(params.out_biz_no);
      return {
        ...base,
        kind: 'refund_updated',
        providerRefundId: refundIdOf(params.trade_no, params.out_biz_no),
        status: 'succeeded',
        providerPaymentId: params.out_trade_no,
        currency: 'CNY',
        ...(ours ?? {}),
      };
    }
    if (params.trade_status === 'TRADE_SUCCESS' || params.trade_status === 'TRADE_FINISHED') {
      return {
        ...base,
        kind: 'payment_succeeded',
        providerPaymentId: params.out_trade_no,
        paymentId: params.out_trade_no,
        amountReceived: fen(params.total_amount, 'total_amount'),
        currency: 'CNY',
      };
    }
    return { ...base, kind: 'ignored' };
  }
}

/** Reads Alipay's trade bill (a zip holding the detail CSV in GBK; each value followed by a tab). */
export function parseAlipayBill(zip: Buffer): ProviderStatement {
  const files = unzipSync(new Uint8Array(zip));
  const name = Object.keys(files).find((file) => file.endsWith('.csv') && !file.includes('汇总'));
  if (!name) throw new Error("Alipay's bill holds no detail file");
  const lines = new TextDecoder('gbk').decode(files[name]).split(/\r?\n/).filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const [header, ...rows] = lines.map((line) => line.split(',').map((value) => value.trim()));
  const column = (label: string) => {
    const at = header?.findIndex((h) => h.startsWith(label)) ?? -1;
    if (at < 0) throw new Error(`Alipay's bill has no column ${label}`);
    return at;
  };
  const [tradeNo, outTradeNo, kind, amount, received, requestNo] = ['支付宝交易号', '商户订单号', '业务类型', '订单金额', '商家实收', '退款批次号'].map(column);
  const statement: ProviderStatement = { payments: [], refunds: [] };
  for (const row of rows) {
    if (row[kind] === '交易') {
      statement.payments.push({ providerPaymentId: row[outTradeNo], status: 'succeeded', amount: fen(row[amount], '订单金额'), currency: 'CNY' });
    } else if (row[kind] === '退款') {
      const refund: ProviderRefundRecord = {
        providerRefundId: refundIdOf(row[tradeNo], row[requestNo]),
        providerPaymentId: row[outTradeNo],
        status: 'succeeded',
        // the bill shows what the merchant gave back as negative receipts
        amount: -fen(row[received], '商家实收'),
        currency: 'CNY',
        ...(parseRefundNumber(row[requestNo]) ?? {}),
      };
      statement.refunds.push(refund);
    }
  }
  return statement;
}
