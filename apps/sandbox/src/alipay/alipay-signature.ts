import { createSign, createVerify } from 'node:crypto';

/**
 * Alipay's RSA2 content to sign: every parameter but `sign` (and, for notifications, `sign_type`),
 * those with a value, sorted by name, as `name=value` joined by `&`, values as they are (not encoded).
 */
export function alipaySignContent(params: Record<string, string>, exclude: readonly string[] = ['sign']): string {
  return Object.keys(params)
    .filter((key) => !exclude.includes(key) && params[key] !== undefined && params[key] !== '')
    .sort()
    .map((key) => `${key}=${params[key]}`)
    .join('&');
}

/** SHA256withRSA, base64: RSA2. */
export const rsa2Sign = (content: string, privateKey: string) => createSign('RSA-SHA256').update(content, 'utf8').sign(privateKey, 'base64');
export const rsa2Verify = (content: string, signature: string, publicKey: string) => {
  try {
    return createVerify('RSA-SHA256').update(content, 'utf8').verify(publicKey, signature, 'base64');
  } catch {
    return false;
  }
};
