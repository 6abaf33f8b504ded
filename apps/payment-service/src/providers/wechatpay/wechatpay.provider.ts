import { createHash } from 'node:crypto';
import { MoneyError, parseMajor } from '@ebb/contracts';
import {
  type CreatePaymentInput,
  type CreatedPayment,
  InvalidSignatureError,
  MalformedEventError,
  type PaymentProvider,
  type ProviderEvent,
  type ProviderPaymentRecord,
  ProviderRefusedError,
  type ProviderRefundOutcome,
  type ProviderRefundRecord,
  type ProviderRefundState,
  type ProviderStatement,
  type RefundInput,
  type RefundReference,
  REFUND_NOT_FOUND,
  parseRefundNumber,
  refundNumberOf,
} from '../payment-provider';
import { measured } from '../provider-metrics';
import { authorization, decryptResource, verifyPlatformSignature } from './wechatpay-v3';

export interface WechatPayProviderOptions {
  /** `http://127.0.0.1:4010` for the sandbox, `https://api.mch.weixin.qq.com` in production */
  apiBase: string;
  mchid: string;
  appid: string;
  /** the merchant API certificate's serial number and private key: sign every request */
  merchantSerial: string;
  merchantPrivateKey: string;
  /** WeChat Pay's platform public key and its id (`PUB_KEY_ID_…`): verify every answer and notification */
  platformPublicKey: string;
  platformPublicKeyId: string;
  /** the APIv3 key: decrypts notifications' resources */
  apiV3Key: string;
  /** payment-service's `/v1/webhooks/wechatpay` */
  notifyUrl: string;
  timeoutMs?: number;
}

/** A notification or answer older than this (or from the future) is refused: a replay. */
const MAX_CLOCK_SKEW_S = 5 * 60;

/** Ebb's refund id at WeChat Pay: WeChat's refund id and the merchant's refund number (queries go by the latter). */
const refundIdOf = (refundId: string, outRefundNo: string) => `${refundId}/${outRefundNo}`;
const outRefundNoOf = (providerRefundId: string) => providerRefundId.slice(providerRefundId.indexOf('/') + 1);

/** WeChat Pay's `out_trade_no` (6–32 characters) of an Ebb payment id (`pay_` + 32 hex): the hex. */
export const outTradeNoOf = (paymentId: string) => paymentId.replace(/^pay_/, '');
const paymentIdOf = (outTradeNo: string) => (/^[0-9a-f]{32}$/.test(outTradeNo) ? `pay_${outTradeNo}` : undefined);

const REFUND_OUTCOME: Record<string, ProviderRefundOutcome> = { PROCESSING: 'pending', SUCCESS: 'succeeded', ABNORMAL: 'failed', CLOSED: 'failed' };
/** the bill's words for a refund's status */
const BILL_REFUND_OUTCOME: Record<string, ProviderRefundOutcome> = { PROCESSING: 'pending', SUCCESS: 'succeeded', CHANGE: 'failed', REFUNDCLOSE: 'failed' };

interface WechatAnswer {
  status: number;
  text: string;
  json: any;
}

/**
 * WeChat Pay API v3 (Native payments, domestic refunds, trade bills), signing per its documentation:
 * `wechatpay-node-v3` 2.2.1 was looked at and not taken (it pins superagent 8.0.6, needs the merchant's
 * X.509 certificate and the retired platform-certificate download, and has no platform public key
 * mode). Amounts are fen integers both at WeChat Pay and in Ebb (CNY minor units); a bill's yuan are
 * read with the integer money helpers.
 */
export class WechatPayProvider implements PaymentProvider {
  readonly name = 'wechatpay' as const;
  readonly currencies = ['CNY'] as const;
  readonly dayOffsetMinutes = 8 * 60;

  constructor(private readonly options: WechatPayProviderOptions) {}

  /** One signed request; the answer's platform signature is verified (a download is not signed, its hash is checked instead). */
  private async request(method: 'GET' | 'POST', url: string, body?: unknown, signed = true): Promise<WechatAnswer> {
    const target = new URL(url, this.options.apiBase);
    const text = body === undefined ? '' : JSON.stringify(body);
    const response = await fetch(target, {
      method,
      headers: {
        accept: 'application/json',
        'user-agent': 'ebb-payment-service',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        authorization: authorization({
          mchid: this.options.mchid,
          serialNo: this.options.merchantSerial,
          privateKey: this.options.merchantPrivateKey,
          method,
          url: `${target.pathname}${target.search}`,
          body: text,
        }),
      },
      body: body === undefined ? undefined : text,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 20000),
    });
    const answer = await response.text();
    if (signed) this.verify(response.headers, answer, 'answer');
    let json: any = undefined;
    try {
      json = answer ? JSON.parse(answer) : undefined;
    } catch {
      json = undefined;
    }
    // 5xx and 429: the outcome is unknown, ask again; any other 4xx is a refusal of this exact request
    if (response.status >= 500 || response.status === 429) throw new Error(`WeChat Pay ${method} ${target.pathname}: ${response.status} ${json?.code ?? ''} ${json?.message ?? ''}`);
    if (response.status >= 400 && response.status !== 404) throw new ProviderRefusedError(`${json?.message ?? 'refused'} (${json?.code ?? response.status})`, json?.code);
    return { status: response.status, text: answer, json };
  }

  /** The platform's signature over the exact body, by the key we hold, recent enough not to be a replay. */
  private verify(headers: Headers, body: string, what: string): void {
    const timestamp = headers.get('wechatpay-timestamp') ?? '';
    const nonce = headers.get('wechatpay-nonce') ?? '';
    const signature = headers.get('wechatpay-signature') ?? '';
    const serial = headers.get('wechatpay-serial') ?? '';
    if (!timestamp || !nonce || !signature) throw new InvalidSignatureError(`the ${what} carries no Wechatpay-Signature`);
    if (serial !== this.options.platformPublicKeyId) throw new InvalidSignatureError(`the ${what} is signed by ${serial}, not the platform key we hold`);
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) - Date.now() / 1000) > MAX_CLOCK_SKEW_S) throw new InvalidSignatureError(`the ${what}'s timestamp is too far from now`);
    if (!verifyPlatformSignature({ timestamp, nonce, body, signature, publicKey: this.options.platformPublicKey })) {
      throw new InvalidSignatureError(`the ${what}'s signature does not verify`);
    }
  }

  async createPayment(input: CreatePaymentInput): Promise<CreatedPayment> {
    if (input.currency !== 'CNY') throw new ProviderRefusedError(`WeChat Pay takes CNY, not ${input.currency}`, 'currency_not_supported');
    const outTradeNo = outTradeNoOf(input.paymentId);
    const answer = await measured(this.name, 'create_payment', () =>
      this.request('POST', '/v3/pay/transactions/native', {
        appid: this.options.appid,
        mchid: this.options.mchid,
        description: `Order ${input.orderId}`,
        out_trade_no: outTradeNo,
        notify_url: this.options.notifyUrl,
        amount: { total: input.amount, currency: 'CNY' },
      }),
    );
    if (answer.status === 404 || typeof answer.json?.code_url !== 'string') throw new Error(`WeChat Pay answered no code_url (${answer.status})`);
    return { providerPaymentId: outTradeNo, qrCode: answer.json.code_url };
  }

  /** WeChat Pay answers the same order with the same code_url: asked again, the customer scans the same code. */
  retrievePayment(_providerPaymentId: string, input: CreatePaymentInput): Promise<CreatedPayment> {
    return this.createPayment(input);
  }

  async lookupPayment(providerPaymentId: string): Promise<ProviderPaymentRecord | null> {
    const answer = await measured(this.name, 'retrieve_payment', () =>
      this.request('GET', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(providerPaymentId)}?mchid=${encodeURIComponent(this.options.mchid)}`),
    );
    if (answer.status === 404) return null;
    const state = answer.json?.trade_state;
    // REFUND: paid, then (partly) refunded
    const status = state === 'SUCCESS' || state === 'REFUND' ? 'succeeded' : state === 'CLOSED' || state === 'REVOKED' ? 'canceled' : state === 'PAYERROR' ? 'failed' : 'pending';
    return { providerPaymentId, status, amount: status === 'succeeded' ? Number(answer.json.amount?.payer_total ?? answer.json.amount?.total ?? 0) : 0, currency: 'CNY' };
  }

  async cancelPayment(providerPaymentId: string): Promise<void> {
    const answer = await measured(this.name, 'cancel_payment', () =>
      this.request('POST', `/v3/pay/transactions/out-trade-no/${encodeURIComponent(providerPaymentId)}/close`, { mchid: this.options.mchid }),
    );
    // an order WeChat Pay never made has nothing to close
    if (answer.status === 404) return;
  }

  async refund(input: RefundInput): Promise<ProviderRefundState> {
    const answer = await measured(this.name, 'refund', () =>
      this.request('POST', '/v3/refund/domestic/refunds', {
        out_trade_no: input.providerPaymentId,
        out_refund_no: refundNumberOf(input.refundId, input.attempt),
        reason: 'Ebb refund',
        notify_url: this.options.notifyUrl,
        amount: { refund: input.amount, total: input.paymentAmount, currency: 'CNY' },
      }),
    );
    if (answer.status === 404) throw new ProviderRefusedError('WeChat Pay knows no such order', 'RESOURCE_NOT_EXISTS');
    return this.refundState(answer.json);
  }

  async retrieveRefund(providerRefundId: string): Promise<ProviderRefundState> {
    const state = await this.queryRefund(outRefundNoOf(providerRefundId));
    if (!state) throw new ProviderRefusedError(`WeChat Pay made no refund ${providerRefundId}`, REFUND_NOT_FOUND);
    return state;
  }

  findRefund(reference: RefundReference): Promise<ProviderRefundState | null> {
    return this.queryRefund(refundNumberOf(reference.refundId, reference.attempt));
  }

  private async queryRefund(outRefundNo: string): Promise<ProviderRefundState | null> {
    const answer = await measured(this.name, 'retrieve_refund', () => this.request('GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`));
    return answer.status === 404 ? null : this.refundState(answer.json);
  }

  private refundState(refund: any): ProviderRefundState {
    const status = REFUND_OUTCOME[refund?.status];
    if (!status || typeof refund.refund_id !== 'string') throw new Error(`WeChat Pay answered a refund without its id or a known status (${refund?.status})`);
    return {
      providerRefundId: refundIdOf(refund.refund_id, refund.out_refund_no),
      status,
      amount: Number(refund.amount?.refund),
      ...(status === 'failed' ? { reason: refund.status === 'ABNORMAL' ? 'refund_abnormal' : 'refund_closed' } : {}),
    };
  }

  /** The Beijing day's trade bill (ALL): its URL from /v3/bill/tradebill, the file checked against the SHA1 given with it. */
  async statement(day: string): Promise<ProviderStatement> {
    return measured(this.name, 'statement', async () => {
      let bill: WechatAnswer;
      try {
        bill = await this.request('GET', `/v3/bill/tradebill?bill_date=${day}&bill_type=ALL`);
      } catch (error) {
        // a day with no trade has no bill
        if (error instanceof ProviderRefusedError && error.code === 'NO_STATEMENT_EXIST') return { payments: [], refunds: [] };
        throw error;
      }
      const file = await this.request('GET', bill.json.download_url, undefined, false);
      const hash = createHash('sha1').update(file.text, 'utf8').digest('hex');
      if (file.status !== 200 || hash !== String(bill.json.hash_value).toLowerCase()) throw new Error("WeChat Pay's bill does not match its hash");
      return parseWechatPayBill(file.text);
    });
  }

  verifyWebhook(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): ProviderEvent {
    const header = (name: string) => {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const body = rawBody.toString('utf8');
    const fetched = new Headers();
    for (const name of ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-signature', 'wechatpay-serial']) fetched.set(name, header(name) ?? '');
    this.verify(fetched, body, 'notification');
    let event: any;
    let resource: any;
    try {
      event = JSON.parse(body);
    } catch {
      throw new MalformedEventError('the body is not JSON');
    }
    if (typeof event?.id !== 'string' || typeof event.event_type !== 'string' || typeof event.resource?.ciphertext !== 'string' || typeof event.resource?.nonce !== 'string') {
      throw new MalformedEventError('not a WeChat Pay notification (id, event_type, resource)');
    }
    try {
      resource = JSON.parse(decryptResource(event.resource, this.options.apiV3Key));
    } catch {
      // a signed body whose resource does not open: it was not encrypted for us
      throw new InvalidSignatureError('the resource does not decrypt with our APIv3 key');
    }
    const base = { eventId: event.id, type: event.event_type, payload: { ...event, resource } };
    if (event.event_type === 'TRANSACTION.SUCCESS') {
      if (typeof resource.out_trade_no !== 'string' || !Number.isSafeInteger(resource.amount?.total)) throw new MalformedEventError('resource: a transaction without out_trade_no or amount.total');
      return {
        ...base,
        kind: 'payment_succeeded',
        providerPaymentId: resource.out_trade_no,
        paymentId: paymentIdOf(resource.out_trade_no),
        amountReceived: resource.amount.payer_total ?? resource.amount.total,
        currency: resource.amount.currency ?? 'CNY',
      };
    }
    if (event.event_type.startsWith('REFUND.')) {
      const status = REFUND_OUTCOME[resource.refund_status];
      if (!status || typeof resource.refund_id !== 'string' || typeof resource.out_refund_no !== 'string') throw new MalformedEventError('resource: a refund without refund_id, out_refund_no or a known refund_status');
      return {
        ...base,
        kind: 'refund_updated',
        providerRefundId: refundIdOf(resource.refund_id, resource.out_refund_no),
        status,
        ...(status === 'failed' ? { reason: resource.refund_status === 'ABNORMAL' ? 'refund_abnormal' : 'refund_closed' } : {}),
        ...(parseRefundNumber(resource.out_refund_no) ?? {}),
        providerPaymentId: resource.out_trade_no,
        amount: Number.isSafeInteger(resource.amount?.refund) ? resource.amount.refund : undefined,
        currency: 'CNY',
      };
    }
    return { ...base, kind: 'ignored' };
  }
}

/** Reads WeChat Pay's trade bill (ALL): a CSV whose every value starts with a backquote, totals after the rows. */
export function parseWechatPayBill(text: string): ProviderStatement {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = lines[0]?.split(',') ?? [];
  const column = (label: string) => {
    const at = header.indexOf(label);
    if (at < 0) throw new Error(`WeChat Pay's bill has no column ${label}`);
    return at;
  };
  const [outTradeNo, state, settled, refundId, outRefundNo, refundAmount, refundStatus] = ['商户订单号', '交易状态', '应结订单金额', '微信退款单号', '商户退款单号', '退款金额', '退款状态'].map(column);
  const yuan = (value: string, field: string) => {
    try {
      return parseMajor(value, 'CNY');
    } catch (error) {
      if (error instanceof MoneyError) throw new Error(`WeChat Pay's bill: ${field} ${JSON.stringify(value)} is not an amount`);
      throw error;
    }
  };
  const statement: ProviderStatement = { payments: [], refunds: [] };
  for (const line of lines.slice(1)) {
    if (line.startsWith('总交易单数')) break;
    const row = line.split(',').map((value) => value.replace(/^`/, ''));
    if (row[state] === 'SUCCESS') {
      statement.payments.push({ providerPaymentId: row[outTradeNo], status: 'succeeded', amount: yuan(row[settled], '应结订单金额'), currency: 'CNY' });
    } else if (row[state] === 'REFUND') {
      const refund: ProviderRefundRecord = {
        providerRefundId: refundIdOf(row[refundId], row[outRefundNo]),
        providerPaymentId: row[outTradeNo],
        status: BILL_REFUND_OUTCOME[row[refundStatus]] ?? 'pending',
        amount: yuan(row[refundAmount], '退款金额'),
        currency: 'CNY',
        ...(parseRefundNumber(row[outRefundNo]) ?? {}),
      };
      statement.refunds.push(refund);
    }
  }
  return statement;
}
