// Checks an upload before it is sent: values that parse but are very likely a unit mistake (a rate
// in percent for a '%' metric, values 100 times those of the pre period). The same rules as the
// server's src/domain/plausibility.cpp, whose `warnings` the page shows too once the API sends them.
// Pure, unit-tested.

export interface UploadPoint {
  timestamp: number; // unix seconds
  treatment: number;
  control: number;
}

export type UploadSeries = Map<string, UploadPoint[]>;

export const SCALE_FACTOR = 100;

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/** Reads an upload (CSV or the results JSON) into points by metric; null when it cannot be read. */
export function parseUpload(text: string, isCsv: boolean): UploadSeries | null {
  const out: UploadSeries = new Map();
  const add = (m: string, ts: unknown, t: unknown, c: unknown) => {
    const time = Date.parse(String(ts));
    const tv = Number(t);
    const cv = Number(c);
    if (!m || !Number.isFinite(time)) return;
    const list = out.get(m) ?? [];
    list.push({ timestamp: Math.floor(time / 1000), treatment: tv, control: cv });
    out.set(m, list);
  };
  if (isCsv) {
    const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
    if (!lines.length) return null;
    const head = splitCsvLine(lines[0]);
    const col = (n: string) => head.indexOf(n);
    const [mi, ti, tv, cv] = ['metricId', 'timestamp', 'treatmentValue', 'controlValue'].map(col);
    if (mi < 0 || ti < 0 || tv < 0 || cv < 0) return null;
    for (const line of lines.slice(1)) {
      const f = splitCsvLine(line);
      add(f[mi], f[ti], f[tv], f[cv]);
    }
    return out;
  }
  try {
    const doc = JSON.parse(text) as { metrics?: Record<string, { timeSeries?: Record<string, unknown>[] }> };
    if (!doc || typeof doc !== 'object' || !doc.metrics) return null;
    for (const [m, v] of Object.entries(doc.metrics)) {
      for (const p of v?.timeSeries ?? []) add(m, p.timestamp, p.treatmentValue, p.controlValue);
    }
    return out;
  } catch {
    return null;
  }
}

function median(v: number[]): number {
  if (!v.length) return 0;
  const s = [...v].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fig = (v: number) => Number(v.toPrecision(4)).toString();

/**
 * Warnings about an upload. `units` by metric id; `existing` is what stays stored after it (the
 * current data for a merge, nothing for a replace); `start` in unix seconds.
 */
export function plausibilityWarnings(units: Record<string, string>, uploaded: UploadSeries, existing: UploadSeries, start: number): string[] {
  const out: string[] = [];
  for (const metric of [...uploaded.keys()].sort()) {
    const points = uploaded.get(metric)!;
    if (units[metric] === '%') {
      const values = points.flatMap((p) => [p.treatment, p.control]).filter(Number.isFinite);
      const above = values.filter((v) => v > 1);
      const below = values.filter((v) => v < 0);
      if (above.length) {
        out.push(`${metric}: ${above.length} ${above.length === 1 ? 'value is' : 'values are'} above 1 (up to ${fig(Math.max(...above))}) although the unit is %; rates are stored as fractions (0.0307 for 3.07%). Was the data uploaded in percent?`);
      }
      if (below.length) {
        out.push(`${metric}: ${below.length} ${below.length === 1 ? 'value is' : 'values are'} below 0 (down to ${fig(Math.min(...below))}) although the unit is %; a rate is between 0 and 1.`);
      }
    }
    const hours = new Set(points.map((p) => p.timestamp));
    const abs = (p: UploadPoint) => [p.treatment, p.control].filter(Number.isFinite).map(Math.abs);
    const pre = points.filter((p) => p.timestamp < start).flatMap(abs);
    const postPoints = points.filter((p) => p.timestamp >= start);
    const post = postPoints.flatMap(abs);
    for (const p of existing.get(metric) ?? []) if (p.timestamp < start && !hours.has(p.timestamp)) pre.push(...abs(p));
    if (!pre.length || !post.length) continue;
    const base = median(pre);
    const now = median(post);
    if (base <= 0 || now <= 0) continue;
    const ratio = now / base;
    if (ratio >= SCALE_FACTOR || ratio <= 1 / SCALE_FACTOR) {
      out.push(`${metric}: the uploaded experiment-period values (${postPoints.length} ${postPoints.length === 1 ? 'hour' : 'hours'}, typical ${fig(now)}) are ${fig(ratio >= 1 ? ratio : 1 / ratio)} times ${ratio >= 1 ? 'larger' : 'smaller'} than the pre period's (typical ${fig(base)}). Check that both use the same unit.`);
    }
  }
  return out;
}
