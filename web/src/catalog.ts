// The metric catalogue (GET /metric-values), cached for a short while so that pages can name
// metrics without asking the server on every render.
import { api } from './api';
import type { MetricValue, MetricValuesResponse } from './types';
import { titleCase } from './format';

let cache: { at: number; data: MetricValuesResponse } | null = null;
const MAX_AGE_MS = 30_000;

export async function loadCatalog(force = false): Promise<MetricValuesResponse> {
  if (!force && cache && Date.now() - cache.at < MAX_AGE_MS) return cache.data;
  const data = await api.get<MetricValuesResponse>('/metric-values');
  cache = { at: Date.now(), data };
  return data;
}

export function invalidateCatalog(): void {
  cache = null;
}

export function byId(catalog: MetricValuesResponse | null): Map<string, MetricValue> {
  return new Map((catalog?.metrics ?? []).map((m) => [m.metricId, m]));
}

export function metricName(id: string, lookup: Map<string, MetricValue>): string {
  return lookup.get(id)?.name ?? titleCase(id);
}
