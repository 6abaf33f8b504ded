// What the console's server tells the page at run time (GET /config.json): one build, any deployment.

export const SERVICES = ['order', 'payment', 'refund', 'inventory', 'notification'] as const;
export type Service = (typeof SERVICES)[number];

export interface RuntimeConfig {
  services: Record<Service, string>;
  devLogin: boolean;
  ssoUrl: string | null;
}

export async function loadRuntimeConfig(): Promise<RuntimeConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`);
  return (await response.json()) as RuntimeConfig;
}
