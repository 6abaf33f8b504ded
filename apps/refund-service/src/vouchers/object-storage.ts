import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export interface ObjectStorageOptions {
  /** S3, MinIO, OSS or the local s3rver: `http://127.0.0.1:4569` */
  endpoint: string;
  /** where clients fetch from, when not the endpoint the service reaches (a presigned URL names its host) */
  publicEndpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** `http://host/bucket/key` rather than `http://bucket.host/key` (MinIO, s3rver) */
  forcePathStyle: boolean;
  timeoutMs?: number;
}

/**
 * An S3-compatible bucket through @aws-sdk/client-s3. Bodies are whole buffers and checksums are
 * sent only where the API requires them: the SDK's default (a CRC32 on every upload, aws-chunked for
 * streams) is more than S3-compatible servers such as s3rver or older MinIO accept.
 */
export class ObjectStorage {
  private readonly client: S3Client;
  private readonly signer: S3Client;

  constructor(private readonly options: ObjectStorageOptions) {
    const client = (endpoint: string) =>
      new S3Client({
        endpoint,
        region: options.region,
        forcePathStyle: options.forcePathStyle,
        credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 1,
      });
    this.client = client(options.endpoint);
    this.signer = options.publicEndpoint ? client(options.publicEndpoint) : this.client;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: body, ContentType: contentType }), {
      abortSignal: AbortSignal.timeout(this.options.timeoutMs ?? 20_000),
    });
  }

  /** A URL anyone holding it may GET the object with until it expires (signed locally: no call to the storage). */
  presignedGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.signer, new GetObjectCommand({ Bucket: this.options.bucket, Key: key }), { expiresIn: expiresInSeconds });
  }

  close(): void {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }
}
