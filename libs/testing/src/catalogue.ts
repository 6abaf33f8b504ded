import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A seller of the fixture catalogue, as `PUT /v1/sellers/:sellerId` registers it. */
export interface CatalogueSeller {
  sellerId: string;
  name: string;
  email: string;
  locale: 'en' | 'zh-CN';
}

/** A product of the fixture catalogue, with the recommendation rule its text calls for. */
export interface CatalogueProduct {
  id: string;
  sellerId: string;
  title: string;
  description: string;
  expected: string;
}

/**
 * The fixture catalogue of the refund-window recommendations and policy migrations: 12 sellers (6
 * writing English, 6 Chinese) and 208 products of every kind the vocabulary knows (courses,
 * templates, software, e-books, physical and personalised goods) and some it cannot tell.
 */
export function policyCatalogue(): { sellers: CatalogueSeller[]; products: CatalogueProduct[] } {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures/policy-catalogue.json'), 'utf8'));
}

/**
 * Registers the fixture catalogue's sellers (`PUT /v1/sellers/:sellerId`) and creates its products
 * (`POST /v1/products`) at the inventory-service at `inventoryUrl`, as an admin would.
 */
export async function seedCatalogue(inventoryUrl: string, adminToken: string, catalogue = policyCatalogue()): Promise<void> {
  const send = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${inventoryUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  };
  for (const { sellerId, ...seller } of catalogue.sellers) await send('PUT', `/v1/sellers/${sellerId}`, seller);
  for (const { expected: _expected, ...product } of catalogue.products) await send('POST', '/v1/products', product);
}
