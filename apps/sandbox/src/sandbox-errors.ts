import { defineErrors } from '@ebb/http';

/** Refusals of the sandbox's own endpoints (api-v1 shape); the Stripe API has StripeErrorCode. */
export enum SandboxErrorCode {
  InjectedFault = 'injected_fault',
  SmtpSinkOff = 'smtp_sink_off',
  /** a payment code (Alipay's qr_code, WeChat Pay's code_url) the sandbox never issued */
  CodeNotFound = 'code_not_found',
  /** the code's payment is paid or closed already */
  CodeNotPayable = 'code_not_payable',
}

export const sandboxError = defineErrors<SandboxErrorCode>({
  [SandboxErrorCode.InjectedFault]: 500,
  [SandboxErrorCode.SmtpSinkOff]: 503,
  [SandboxErrorCode.CodeNotFound]: 404,
  [SandboxErrorCode.CodeNotPayable]: 409,
});
