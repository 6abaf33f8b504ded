import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { LOGGER } from '@ebb/observability';
import { OutboundCalls, exponentialBackoff } from '@ebb/outbound';
import { REFUND_ENV, type RefundEnv } from '../config';
import { Refund } from '../refunds/refund.entity';
import { ObjectStorage } from './object-storage';
import { renderVoucher } from './voucher-document';
import { StoreVoucher } from './voucher-call';

/** Where a refund's voucher lives in the bucket. */
export const voucherKeyOf = (refundId: string) => `vouchers/${refundId}.pdf`;

/**
 * Makes and stores each succeeded refund's voucher (a PDF), outside any transaction, and records its
 * SHA-256 and key on the refund in a transaction of its own. Storage down: the call is tried again
 * with backoff (VOUCHER_STORE_MAX_ATTEMPTS, then parked for an operator and alerted on) while the
 * refund stays succeeded; a voucher made twice is the same bytes, so the hash recorded holds.
 */
@Injectable()
export class VoucherStore implements OnModuleInit, OnApplicationShutdown {
  readonly storage: ObjectStorage;

  constructor(
    private readonly dataSource: DataSource,
    private readonly calls: OutboundCalls,
    @Inject(REFUND_ENV) private readonly env: RefundEnv,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.storage = new ObjectStorage({
      endpoint: env.OBJECT_STORAGE_ENDPOINT,
      publicEndpoint: env.OBJECT_STORAGE_PUBLIC_ENDPOINT,
      region: env.OBJECT_STORAGE_REGION,
      bucket: env.OBJECT_STORAGE_BUCKET,
      accessKeyId: env.OBJECT_STORAGE_ACCESS_KEY_ID,
      secretAccessKey: env.OBJECT_STORAGE_SECRET_ACCESS_KEY,
      forcePathStyle: env.OBJECT_STORAGE_FORCE_PATH_STYLE,
    });
  }

  onModuleInit(): void {
    this.calls.handle<{ refundId: string }, { sha256: string; key: string } | undefined>(
      StoreVoucher,
      {
        call: async ({ payload }) => {
          const refund = await this.dataSource.getRepository(Refund).findOneBy({ id: payload.refundId });
          if (!refund || refund.status !== 'succeeded') return undefined;
          const succeededAt = [...refund.history].reverse().find((entry) => entry.status === 'succeeded')?.at;
          const document = await renderVoucher(refund, new Date(succeededAt ?? refund.updatedAt));
          const key = voucherKeyOf(refund.id);
          await this.storage.put(key, document, 'application/pdf');
          return { sha256: createHash('sha256').update(document).digest('hex'), key };
        },
        onResult: async (manager, { payload }, stored) => {
          if (!stored) return;
          await manager.query(`UPDATE refunds SET voucher_sha256 = $2, voucher_key = $3, voucher_stored_at = now() WHERE id = $1`, [payload.refundId, stored.sha256, stored.key]);
          this.logger.info({ refundId: payload.refundId, sha256: stored.sha256 }, 'refund voucher stored');
        },
      },
      {
        maxAttempts: this.env.VOUCHER_STORE_MAX_ATTEMPTS,
        backoffMs: exponentialBackoff(this.env.VOUCHER_STORE_BACKOFF_MS, this.env.VOUCHER_STORE_MAX_BACKOFF_MS),
      },
    );
  }

  onApplicationShutdown(): void {
    this.storage.close();
  }

  /** The voucher as GET /v1/refunds/:id shows it: its hash, and a URL that works for VOUCHER_URL_TTL_SECONDS. */
  async voucherOf(refund: Refund): Promise<{ sha256: string; url: string } | undefined> {
    if (!refund.voucherSha256 || !refund.voucherKey) return undefined;
    return { sha256: refund.voucherSha256, url: await this.storage.presignedGet(refund.voucherKey, this.env.VOUCHER_URL_TTL_SECONDS) };
  }
}
