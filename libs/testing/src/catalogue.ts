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
