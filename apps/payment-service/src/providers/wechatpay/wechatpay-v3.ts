import { createDecipheriv, createSign, createVerify, randomBytes } from 'node:crypto';

/**
 * WeChat Pay API v3's signatures, per its documentation (签名生成, 签名验证, 证书和回调报文解密):
 * - a request carries `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`,
 *   the signature SHA256withRSA (base64) of `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` with the merchant's key;
 * - an answer or notification is verified over `TIMESTAMP\nNONCE\nBODY\n` (Wechatpay-Timestamp,
 *   Wechatpay-Nonce, the exact body) against Wechatpay-Signature, with the platform's public key;
 * - a notification's resource is AEAD_AES_256_GCM under the APIv3 key: base64 of ciphertext + 16-byte tag,
 *   the nonce and associated data as UTF-8.
 */

/** The message a merchant signs for one request (URL: the path with its query, as sent). */
export const requestMessage = (method: string, url: string, timestamp: string, nonce: string, body: string) => `${method}\n${url}\n${timestamp}\n${nonce}\n${body}\n`;

/** The message the platform signs for one answer or notification. */
export const responseMessage = (timestamp: string, nonce: string, body: string) => `${timestamp}\n${nonce}\n${body}\n`;

/** SHA256withRSA, base64. */
export const sha256WithRsa = (message: string, privateKey: string) => createSign('RSA-SHA256').update(message, 'utf8').sign(privateKey, 'base64');

export function authorization(options: { mchid: string; serialNo: string; privateKey: string; method: string; url: string; body: string; timestamp?: string; nonce?: string }): string {
  const timestamp = options.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = options.nonce ?? randomBytes(16).toString('hex').toUpperCase();
  const signature = sha256WithRsa(requestMessage(options.method, options.url, timestamp, nonce, options.body), options.privateKey);
  return `WECHATPAY2-SHA256-RSA2048 mchid="${options.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${options.serialNo}"`;
}

export function verifyPlatformSignature(options: { timestamp: string; nonce: string; body: string; signature: string; publicKey: string }): boolean {
  try {
    return createVerify('RSA-SHA256').update(responseMessage(options.timestamp, options.nonce, options.body), 'utf8').verify(options.publicKey, options.signature, 'base64');
  } catch {
    return false;
  }
}

/**
 * Decrypts a resource; throws when the tag does not verify (tampered, or another key). The cipher
 * follows the key's length: the APIv3 key is 32 bytes (AES-256), as WeChat Pay issues it.
 */
export function decryptResource(resource: { ciphertext: string; nonce: string; associated_data?: string }, apiV3Key: string): string {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (![16, 24, 32].includes(key.length)) throw new Error('the APIv3 key is not an AES key');
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length < 17) throw new Error('the ciphertext is too short');
  const decipher = createDecipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, Buffer.from(resource.nonce, 'utf8'));
  decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}
