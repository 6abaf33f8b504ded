import { createCipheriv, createSign, createVerify, randomBytes } from 'node:crypto';

/**
 * WeChat Pay v3 as the platform sees it: a merchant's request is signed over
 * `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` (WECHATPAY2-SHA256-RSA2048 in the Authorization header); the
 * platform signs its answers and notifications over `TIMESTAMP\nNONCE\nBODY\n`, and encrypts a
 * notification's resource with AEAD_AES_256_GCM under the merchant's APIv3 key.
 */
export interface MerchantAuthorization {
  mchid: string;
  nonceStr: string;
  signature: string;
  timestamp: string;
  serialNo: string;
}

export function parseAuthorization(header: string | undefined): MerchantAuthorization | null {
  if (!header?.startsWith('WECHATPAY2-SHA256-RSA2048 ')) return null;
  const fields = Object.fromEntries([...header.slice('WECHATPAY2-SHA256-RSA2048 '.length).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const { mchid, nonce_str: nonceStr, signature, timestamp, serial_no: serialNo } = fields;
  if (!mchid || !nonceStr || !signature || !timestamp || !serialNo) return null;
  return { mchid, nonceStr, signature, timestamp, serialNo };
}

export function verifyRequest(auth: MerchantAuthorization, method: string, url: string, body: string, merchantPublicKey: string): boolean {
  try {
    return createVerify('RSA-SHA256').update(`${method}\n${url}\n${auth.timestamp}\n${auth.nonceStr}\n${body}\n`).verify(merchantPublicKey, auth.signature, 'base64');
  } catch {
    return false;
  }
}

/** The headers a platform answer or notification carries. */
export function platformHeaders(body: string, privateKey: string, serial: string): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex').toUpperCase();
  const signature = createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${body}\n`).sign(privateKey, 'base64');
  return {
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Serial': serial,
    'Wechatpay-Signature': signature,
    'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
  };
}

/** AEAD_AES_256_GCM: base64 of the ciphertext followed by its 16-byte tag. */
export function encryptResource(plaintext: string, apiV3Key: string, associatedData: string): { ciphertext: string; nonce: string; associated_data: string; algorithm: 'AEAD_AES_256_GCM' } {
  const nonce = randomBytes(9).toString('base64url').slice(0, 12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const encrypted = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext: encrypted.toString('base64'), nonce, associated_data: associatedData };
}
