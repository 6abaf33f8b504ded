import { defineErrors } from '@ebb/http';

/** Refusals of the sandbox's own endpoints (api-v1 shape); the Stripe API has StripeErrorCode. */
export enum SandboxErrorCode {
  InjectedFault = 'injected_fault',
  SmtpSinkOff = 'smtp_sink_off',
}

export const sandboxError = defineErrors<SandboxErrorCode>({
  [SandboxErrorCode.InjectedFault]: 500,
  [SandboxErrorCode.SmtpSinkOff]: 503,
});
