import { Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { type RawBodyRequest, ZodBody } from '@ebb/http';
import { SANDBOX_ENV, type SandboxEnv } from '../config';
import { FaultsService } from '../faults/faults.service';
import { SandboxErrorCode, sandboxError } from '../sandbox-errors';
import { WechatPayError, WechatPayErrorCode as E } from './wechatpay-errors';
import { WechatPayOrdersService } from './wechatpay-orders.service';
import { parseAuthorization, platformHeaders, verifyRequest } from './wechatpay-signature';

const scanSchema = z.strictObject({ codeUrl: z.string().min(1), payer: z.string().min(1).max(128).optional() });
/** how far a request's timestamp may be from the platform's clock */
const CLOCK_SKEW_S = 300;

/**
 * WeChat Pay API v3's Native payment, refund and bill subset. Every request must carry the merchant's
 * WECHATPAY2-SHA256-RSA2048 signature (checked with the public key of the certificate serial it names);
 * every answer, error or not, is signed with the platform key (Wechatpay-* headers).
 */
@Controller()
export class WechatPayController {
  constructor(
    private readonly orders: WechatPayOrdersService,
    private readonly faults: FaultsService,
    @Inject(SANDBOX_ENV) private readonly env: SandboxEnv,
  ) {}

  @Post('v3/pay/transactions/native')
  native(@Req() req: RawBodyRequest, @Res() res: Response) {
    return this.respond(req, res, (body) => ({ status: 200, body: this.orders.native(body) }));
  }

  @Get('v3/pay/transactions/out-trade-no/:outTradeNo')
  query(@Req() req: RawBodyRequest, @Res() res: Response, @Param('outTradeNo') outTradeNo: string) {
    return this.respond(req, res, () => ({ status: 200, body: this.orders.query(outTradeNo, req.query.mchid) }));
  }

  @Post('v3/pay/transactions/out-trade-no/:outTradeNo/close')
  close(@Req() req: RawBodyRequest, @Res() res: Response, @Param('outTradeNo') outTradeNo: string) {
    return this.respond(req, res, (body) => (this.orders.close(outTradeNo, body), { status: 204 }));
  }

  @Post('v3/refund/domestic/refunds')
  refund(@Req() req: RawBodyRequest, @Res() res: Response) {
    return this.respond(req, res, (body) => ({ status: 200, body: this.orders.refund(body) }));
  }

  @Get('v3/refund/domestic/refunds/:outRefundNo')
  findRefund(@Req() req: RawBodyRequest, @Res() res: Response, @Param('outRefundNo') outRefundNo: string) {
    return this.respond(req, res, () => ({ status: 200, body: this.orders.findRefund(outRefundNo) }));
  }

  @Get('v3/bill/tradebill')
  tradeBill(@Req() req: RawBodyRequest, @Res() res: Response) {
    return this.respond(req, res, () => ({ status: 200, body: this.orders.tradeBill(req.query, `${req.protocol}://${req.get('host')}`) }));
  }

  /** The bill itself: a signed request, an unsigned plain-text answer (its SHA1 came with the URL). */
  @Get('v3/billdownload/file')
  async downloadBill(@Req() req: RawBodyRequest, @Res() res: Response) {
    try {
      this.authenticate(req);
      const bill = this.orders.downloadBill(req.query.token);
      if (!bill) throw new WechatPayError(E.ResourceNotExists, '账单不存在');
      res.status(200).type('text/plain; charset=utf-8').send(bill);
    } catch (error) {
      this.fail(res, error);
    }
  }

  /** For tests: the customer scans the code with WeChat and pays (`payer: oSandboxAbnormalRefunds` makes its refunds end ABNORMAL). */
  @Post('__sandbox/wechatpay/scan')
  @HttpCode(200)
  scan(@ZodBody(scanSchema) body: z.infer<typeof scanSchema>) {
    const order = this.orders.scan(body.codeUrl, body.payer);
    if (order === 'unknown') throw sandboxError(SandboxErrorCode.CodeNotFound, 'No WeChat Pay order has this code.');
    if (order === 'not_payable') throw sandboxError(SandboxErrorCode.CodeNotPayable, 'The order of this code is paid or closed already.');
    return { outTradeNo: order.outTradeNo, transactionId: order.transactionId, state: order.state };
  }

  private async respond(req: RawBodyRequest, res: Response, handle: (body: Record<string, any>) => { status: number; body?: unknown }): Promise<void> {
    try {
      this.authenticate(req);
      const { fail } = await this.faults.disturb();
      if (fail) throw new WechatPayError(E.SystemError, '系统错误 (injected by the sandbox)');
      const answer = handle((req.body ?? {}) as Record<string, any>);
      this.send(res, answer.status, answer.body);
    } catch (error) {
      this.fail(res, error);
    }
  }

  private authenticate(req: RawBodyRequest) {
    const auth = parseAuthorization(req.header('authorization'));
    if (!auth) throw new WechatPayError(E.SignError, 'Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》');
    if (auth.mchid !== this.env.SANDBOX_WECHATPAY_MCHID) throw new WechatPayError(E.SignError, '商户号不存在');
    if (auth.serialNo !== this.env.SANDBOX_WECHATPAY_MERCHANT_SERIAL) throw new WechatPayError(E.SignError, '商户证书序列号有误');
    if (Math.abs(Number(auth.timestamp) - Date.now() / 1000) > CLOCK_SKEW_S) throw new WechatPayError(E.SignError, '签名过期');
    const body = req.method === 'GET' ? '' : (req.rawBody?.toString('utf8') ?? '');
    if (!verifyRequest(auth, req.method, req.originalUrl, body, this.env.SANDBOX_WECHATPAY_MERCHANT_PUBLIC_KEY)) throw new WechatPayError(E.SignError, '签名错误');
  }

  private fail(res: Response, error: unknown) {
    if (!(error instanceof WechatPayError)) throw error;
    this.send(res, error.status, error.toBody());
  }

  private send(res: Response, status: number, body?: unknown) {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.set({ ...platformHeaders(text, this.env.SANDBOX_WECHATPAY_PLATFORM_PRIVATE_KEY, this.env.SANDBOX_WECHATPAY_PLATFORM_PUBLIC_KEY_ID), 'Request-ID': crypto.randomUUID() });
    if (body === undefined) res.status(status).end();
    else res.status(status).type('application/json').send(text);
  }
}
