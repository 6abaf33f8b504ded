import { createPublicKey } from 'node:crypto';
import { authorization, decryptResource, requestMessage, responseMessage, sha256WithRsa, verifyPlatformSignature } from '../src/providers/wechatpay/wechatpay-v3';

/**
 * WeChat Pay v3's signing, checked against the vectors of its documentation and of its official SDK
 * (wechatpay-apiv3/wechatpay-go, utils/sign_test.go and utils/aes_test.go): the same inputs must give
 * the same bytes, so a request signed here verifies at WeChat Pay and its notifications open here.
 */
describe('WeChat Pay v3 signatures (documentation vectors)', () => {
  // the official SDK's test key (a PKCS#8 RSA key made for its tests) and the signature of "source" it expects
  const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDZUJN33V+dSfvd
fL0Mu+39XrZNXFFMQSy1V15FpncHeV47SmV0TzTqZc7hHB0ddqAdDi8Z5k3TKqb7
6sOwYr5TcAfuR6PIPaleyE0/0KrljBum2Isa2Nyq7Dgc3ElBQ6YN4l/a+DpvKaz1
FSKmKrhLNskqokWVSlu4g8OlKlbPXQ9ibII14MZRQrrkTmHYHzfi7GXXM0thAKuR
0HNvyhTHBh4/lrYM3GaMvmWwkwvsMavnOex6+eioZHBOb1/EIZ/LzC6zuHArPpyW
3daGaZ1rtQB1vVzTyERAVVFsXXgBHvfFud3w3ShsJYk8JvMwK2RpJ5/gV0QSARcm
LDRUAlPzAgMBAAECggEBAMc7rDeUaXiWv6bMGbZ3BTXpg1FhdddnWUnYE8HfX/km
OFI7XtBHXcgYFpcjYz4D5787pcsk7ezPidAj58zqenuclmjKnUmT3pfbI5eCA2v4
C9HnbYDrmUPK1ZcADtka4D6ScDccpNYNa1g2TFHzkIrEa6H+q7S3O2fqxY/DRVtN
0JIXalBb8daaqL5QVzSmM2BMVnHy+YITJWIkP2a3pKs9C0W65JGDsnG0wVrHinHF
+cnhFZIbaPEI//DAFMc9NkrWOKVRTEgcCUxCFaHOZVNxDWZD7A2ZfJB2rK6eg//y
gEiFDR2h6mTaDowMB4YF2n2dsIO4/dCG8vPHI20jn4ECgYEA/ZGu6lEMlO0XZnam
AZGtiNgLcCfM/C2ZERZE7QTRPZH1WdK92Al9ndldsswFw4baJrJLCmghjF/iG4zi
hhBvLnOLksnZUfjdumxoHDWXo2QBWbI5QsWIE7AuTiWgWj1I7X4fCXSQf6i+M/y2
6TogQ7d0ANpZFyOkTNMn/tiJvLECgYEA22XqlamG/yfAGWery5KNH2DGlTIyd6xJ
WtJ9j3jU99lZ0bCQ5xhiBbU9ImxCi3zgTsoqLWgA/p00HhNFNoUcTl9ofc0G3zwT
D1y0ZzcnVKxGJdZ6ohW52V0hJStAigtjYAsUgjm7//FH7PiQDBDP1Wa6xSRkDQU/
aSbQxvEE8+MCgYEA3bb8krW7opyM0XL9RHH0oqsFlVO30Oit5lrqebS0oHl3Zsr2
ZGgoBlWBsEzk3UqUhTFwm/DhJLTSJ/TQPRkxnhQ5/mewNhS9C7yua7wQkzVmWN+V
YeUGTvDGDF6qDz12/vJAgSwDDRym8x4NcXD5tTw7mmNRcwIfL22SkysThIECgYAV
BgccoEoXWS/HP2/u6fQr9ZIR6eV8Ij5FPbZacTG3LlS1Cz5XZra95UgebFFUHHtC
EY1JHJY7z8SWvTH8r3Su7eWNaIAoFBGffzqqSVazfm6aYZsOvRY6BfqPHT3p/H1h
Tq6AbBffxrcltgvXnCTORjHPglU0CjSxVs7awW3AEQKBgB5WtaC8VLROM7rkfVIq
+RXqE5vtJfa3e3N7W3RqxKp4zHFAPfr82FK5CX2bppEaxY7SEZVvVInKDc5gKdG/
jWNRBmvvftZhY59PILHO2X5vO4FXh7suEjy6VIh0gsnK36mmRboYIBGsNuDHjXLe
BDa+8mDLkWu5nHEhOxy2JJZl
-----END PRIVATE KEY-----`;
  const SIGNATURE_OF_SOURCE =
    'BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==';

  it('signs SHA256withRSA as WeChat Pay does (the official SDK’s vector)', () => {
    expect(sha256WithRsa('source', TEST_KEY)).toBe(SIGNATURE_OF_SOURCE);
  });

  it('builds the request message of the documentation’s example: method, URL, timestamp, nonce and body, each ended by a newline', () => {
    // 签名生成: GET https://api.mch.weixin.qq.com/v3/certificates at 1554208460 with nonce 593BEC0C930BF1AFEB40B4A08C8FB242, no body
    expect(requestMessage('GET', '/v3/certificates', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '')).toBe(
      'GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n',
    );
    expect(responseMessage('1554209980', 'c5ac7061fccab6bf3e254dcf98995b8c', '{"data":[]}')).toBe('1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{"data":[]}\n');
  });

  it('writes the Authorization header in the documented form, its signature over that message', () => {
    const header = authorization({
      mchid: '1900009191',
      serialNo: '1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C',
      privateKey: TEST_KEY,
      method: 'GET',
      url: '/v3/certificates',
      body: '',
      timestamp: '1554208460',
      nonce: '593BEC0C930BF1AFEB40B4A08C8FB242',
    });
    const signature = sha256WithRsa('GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n', TEST_KEY);
    expect(header).toBe(
      `WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="${signature}",timestamp="1554208460",serial_no="1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"`,
    );
  });

  it('verifies a platform signature over timestamp, nonce and the exact body, and nothing else', () => {
    const publicKey = createPublicKey(TEST_KEY).export({ type: 'spki', format: 'pem' }).toString();
    const body = '{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}';
    const signature = sha256WithRsa(responseMessage('1554209980', 'c5ac7061fccab6bf3e254dcf98995b8c', body), TEST_KEY);
    expect(verifyPlatformSignature({ timestamp: '1554209980', nonce: 'c5ac7061fccab6bf3e254dcf98995b8c', body, signature, publicKey })).toBe(true);
    expect(verifyPlatformSignature({ timestamp: '1554209981', nonce: 'c5ac7061fccab6bf3e254dcf98995b8c', body, signature, publicKey })).toBe(false);
    expect(verifyPlatformSignature({ timestamp: '1554209980', nonce: 'c5ac7061fccab6bf3e254dcf98995b8c', body: body.replace('p4l', 'x4l'), signature, publicKey })).toBe(false);
    expect(verifyPlatformSignature({ timestamp: '1554209980', nonce: 'c5ac7061fccab6bf3e254dcf98995b8c', body, signature: 'not base64 at all', publicKey })).toBe(false);
  });

  it('opens an AEAD_AES_GCM resource (the official SDK’s vector) and refuses a wrong key or a tampered ciphertext', () => {
    const resource = { ciphertext: 'FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC', nonce: 'wCq51qZv4Yfg', associated_data: 'Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8' };
    expect(decryptResource(resource, 'testAPIv3Key0000')).toBe('Hello World');
    expect(() => decryptResource(resource, 'testAPIv3Key1111')).toThrow();
    expect(() => decryptResource({ ...resource, associated_data: 'other' }, 'testAPIv3Key0000')).toThrow();
    expect(() => decryptResource({ ...resource, ciphertext: 'SGVsbG8gV29ybGQK' }, 'testAPIv3Key0000')).toThrow();
    expect(() => decryptResource(resource, 'not a aes key')).toThrow();
  });
});
