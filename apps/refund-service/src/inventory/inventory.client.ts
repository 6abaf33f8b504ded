import type { ServiceIdentity } from '@ebb/http';

/** A product of the catalogue, as inventory-service lists it. */
export interface CatalogueProduct {
  id: string;
  sellerId: string;
  title: string;
  description: string;
}

/** inventory-service refused the question (4xx): asking again cannot help. */
export class InventoryRefusedError extends Error {}

/** inventory-service did not answer (down, slow, 5xx): asking again may. */
export class InventoryUnavailableError extends Error {}

/** The products one page holds at most. */
export const CATALOGUE_PAGE_SIZE = 200;

/**
 * inventory-service's catalogue over HTTP, with this service's token and a timeout on every call:
 * the products of a seller or of the whole shop, page by page, and products by id.
 */
export class InventoryClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly identity: ServiceIdentity,
  ) {}

  /** One page of the catalogue (all of it, or one seller's), in id order. */
  async page(query: { sellerId?: string; cursor?: string | null }): Promise<{ items: CatalogueProduct[]; nextCursor: string | null }> {
    const params = new URLSearchParams({ limit: String(CATALOGUE_PAGE_SIZE) });
    if (query.sellerId) params.set('sellerId', query.sellerId);
    if (query.cursor) params.set('cursor', query.cursor);
    return this.get(`/v1/products?${params}`);
  }

  /** One product, or undefined when inventory-service does not know it. */
  async product(productId: string): Promise<CatalogueProduct | undefined> {
    const { items } = await this.get<{ items: CatalogueProduct[] }>(`/v1/products?${new URLSearchParams({ ids: productId })}`);
    return items.find((item) => item.id === productId);
  }

  private async get<T>(path: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        headers: { Authorization: this.identity.authorization(), Accept: 'application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new InventoryUnavailableError(`inventory-service did not answer: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status >= 400 && response.status < 500) throw new InventoryRefusedError(`inventory-service refused ${path}: ${response.status} ${text.slice(0, 300)}`);
    if (!response.ok) throw new InventoryUnavailableError(`inventory-service answered ${response.status}`);
    return JSON.parse(text) as T;
  }
}
