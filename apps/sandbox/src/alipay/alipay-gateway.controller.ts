import { Controller, Get, HttpCode, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Inject } from '@nestjs/common';
import { z } from 'zod';
import { ZodBody } from '@ebb/http';
import { SANDBOX_ENV, type SandboxEnv } from '../config';
import { FaultsService } from '../faults/faults.service';
import { SandboxErrorCode, sandboxError } from '../sandbox-errors';
import { AlipayError, AlipaySubCode as S } from './alipay-errors';
import { alipaySignContent, rsa2Sign, rsa2Verify } from './alipay-signature';
import { AlipayTradesService } from './alipay-trades.service';

type Handler = (biz: Record<string, unknown>, req: Request, notifyUrl: string | null) => Record<string, unknown>;

const scanSchema = z.strictObject({ qrCode: z.string().min(1), buyer: z.string().min(3).max(100).optional() });

/**
 * Alipay's gateway (`/alipay/gateway.do`), as the official SDK calls it: the common parameters in the
 * query (app_id, method, charset, sign_type RSA2, timestamp, version, notify_url, sign), biz_content in
 * the form body. The request's RSA2 signature is checked with the merchant's public key; every answer
 * is `{"<method>_response": {...}, "sign": "..."}`, signed with Alipay's key over the exact JSON text.
 */
@Controller()
export class AlipayGatewayController {
  private readonly methods: Record<string, Handler> = {
    'alipay.trade.precreate': (biz, _req, notifyUrl) => this.trades.precreate(biz, notifyUrl),
    'alipay.trade.query': (biz) => this.trades.query(biz),
    'alipay.trade.close': (biz) => this.trades.close(biz),
    'alipay.trade.refund': (biz) => this.trades.refund(biz),
    'alipay.trade.fastpay.refund.query': (biz) => this.trades.refundQuery(biz),
    'alipay.data.dataservice.bill.downloadurl.query': (biz, req) => this.trades.billUrl(biz, `${req.protocol}://${req.get('host')}`),
  };

  constructor(
    private readonly trades: AlipayTradesService,
    private readonly faults: FaultsService,
    @Inject(SANDBOX_ENV) private readonly env: SandboxEnv,
  ) {}

  @Post('alipay/gateway.do')
  async gateway(@Req() req: Request, @Res() res: Response): Promise<void> {
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...(req.query as Record<string, unknown>), ...((req.body ?? {}) as Record<string, unknown>) })) {
      if (typeof value === 'string') params[key] = value;
    }
    const method = params.method;
    const responseKey = method && this.methods[method] ? `${method.replace(/\./g, '_')}_response` : 'error_response';
    let body: Record<string, unknown>;
    try {
      body = { code: '10000', msg: 'Success', ...(await this.handle(method, params, req)) };
    } catch (error) {
      if (!(error instanceof AlipayError)) throw error;
      body = error.toBody();
    }
    const inner = JSON.stringify(body);
    const sign = rsa2Sign(inner, this.env.SANDBOX_ALIPAY_PRIVATE_KEY);
    res.status(200).type('application/json;charset=utf-8').send(`{"${responseKey}":${inner},"sign":"${sign}"}`);
  }

  @Get('alipay/bills/:file')
  bill(@Param('file') file: string, @Res() res: Response): void {
    const zip = this.trades.downloadBill(file.replace(/\.zip$/, ''));
    if (!zip) throw new NotFoundException();
    res.status(200).type('application/zip').send(zip);
  }

  /** For tests: the buyer scans the code with the Alipay app and pays (`buyer: frozen@sandbox.alipay` cannot be refunded later). */
  @Post('__sandbox/alipay/scan')
  @HttpCode(200)
  scan(@ZodBody(scanSchema) body: z.infer<typeof scanSchema>) {
    try {
      const trade = this.trades.scan(body.qrCode, body.buyer);
      return { tradeNo: trade.tradeNo, outTradeNo: trade.outTradeNo, status: trade.status };
    } catch (error) {
      if (!(error instanceof AlipayError)) throw error;
      if (error.subCode === S.TradeNotExist) throw sandboxError(SandboxErrorCode.CodeNotFound, 'No Alipay trade has this code.');
      throw sandboxError(SandboxErrorCode.CodeNotPayable, 'The trade of this code is paid or closed already.');
    }
  }

  private async handle(method: string | undefined, params: Record<string, string>, req: Request): Promise<Record<string, unknown>> {
    if (!method) throw new AlipayError(S.MissingMethod, '缺少方法名参数');
    const handler = this.methods[method];
    if (!handler) throw new AlipayError(S.InvalidMethod, '不存在的方法名');
    if (!params.sign) throw new AlipayError(S.MissingSignature, '缺少签名参数');
    if (params.app_id !== this.env.SANDBOX_ALIPAY_APP_ID) throw new AlipayError(S.InvalidAppId, '无效的AppID参数');
    const content = alipaySignContent(params, ['sign']);
    if (params.sign_type !== 'RSA2' || !rsa2Verify(content, params.sign, this.env.SANDBOX_ALIPAY_APP_PUBLIC_KEY)) {
      throw new AlipayError(S.InvalidSignature, `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${content}`);
    }
    const { fail } = await this.faults.disturb();
    if (fail) throw new AlipayError(S.UnknownError, '系统繁忙 (injected by the sandbox)');
    let biz: Record<string, unknown> = {};
    if (params.biz_content) {
      try {
        biz = JSON.parse(params.biz_content) as Record<string, unknown>;
      } catch {
        throw new AlipayError(S.InvalidParameter, '参数有误 biz_content');
      }
    }
    return handler(biz, req, params.notify_url ?? null);
  }
}
