// How figures are written on screen: one format everywhere, documented because the e2e tests load
// this very module (bundled) to compare the page with the API's numbers:
//   money:    US dollars; no cents from $100 up, cents below; '+' on signed figures
//   a figure with its interval: the same precision for the value and both bounds (chosen from the
//             largest of the three), a sign on both bounds of an effect, the unit said once
//             ("+0.42 pp (+0.12 to +0.72 pp)", "−$1,204 to +$3,311")
//   percent:  fractions shown x100 with 2 decimals ("3.21%"); relative lifts are signed
//   p-values: 4 decimals, "< 0.0001" below that
//   metric values: unit '%' as a percent (stored as a fraction), '$' as money with cents,
//             anything else as a number with its unit ("45.20 seconds")
//   absolute differences of '%' metrics are in percentage points ("+0.42 pp")
//   missing figures (null) are an em dash.
export const DASH = '—';

const moneyFmt = new Map<string, Intl.NumberFormat>();
function moneyFormatter(decimals: number, signed: boolean): Intl.NumberFormat {
  const key = `${decimals}|${signed}`;
  let f = moneyFmt.get(key);
  if (!f) {
    f = new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: 'USD',
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
      signDisplay: signed ? 'exceptZero' : 'auto',
    });
    moneyFmt.set(key, f);
  }
  return f;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function money(v: number | null | undefined, opts: { signed?: boolean; cents?: boolean } = {}): string {
  if (!isNum(v)) return DASH;
  const cents = opts.cents ?? Math.abs(v) < 100;
  const decimals = cents ? 2 : 0;
  return moneyFormatter(decimals, !!opts.signed).format(v);
}

type Iv = { lower: number; upper: number } | null | undefined;

function validIv(i: Iv): i is { lower: number; upper: number } {
  return !!i && isNum(i.lower) && isNum(i.upper);
}

/** Whether dollar figures of this magnitude carry cents (below $100). */
function centsFor(...vs: (number | null | undefined)[]): boolean {
  return Math.max(0, ...vs.filter(isNum).map(Math.abs)) < 100;
}

/** An interval of dollars, signed on both bounds, with the precision of its largest figure. */
export function moneyInterval(i: Iv, opts: { signed?: boolean; alongside?: number | null } = {}): string {
  if (!validIv(i)) return DASH;
  const cents = centsFor(i.lower, i.upper, opts.alongside);
  const signed = opts.signed ?? true;
  return `${money(i.lower, { signed, cents })} to ${money(i.upper, { signed, cents })}`;
}

/** A dollar figure written with the precision of its interval (so both read alike). */
export function moneyWith(v: number | null | undefined, i: Iv, opts: { signed?: boolean } = {}): string {
  return money(v, { signed: opts.signed ?? true, cents: centsFor(v, i?.lower, i?.upper) });
}

/** Decimals for plain numbers: 0 from 1,000 up, 2 from 0.1 up, else 2 significant digits of the largest. */
export function decimalsFor(maxAbs: number): number {
  if (!isNum(maxAbs) || maxAbs === 0) return 2;
  if (maxAbs >= 1000) return 0;
  if (maxAbs >= 1) return 2;
  return Math.min(8, Math.max(2, 1 - Math.floor(Math.log10(maxAbs))));
}

function fixed(v: number, decimals: number, signed: boolean): string {
  return new Intl.NumberFormat('en-US', {
    minimumFractionDigits: decimals, maximumFractionDigits: decimals, signDisplay: signed ? 'exceptZero' : 'auto',
  }).format(v);
}

/** The scale and suffix a metric's differences are written in. */
function diffUnit(unit: string): { scale: number; suffix: string } {
  if (unit === '%') return { scale: 100, suffix: ' pp' };
  return { scale: 1, suffix: unit && unit !== '$' ? ` ${unit}` : '' };
}

/**
 * A metric's effect and its interval in one format: {value: "+0.42 pp", interval: "+0.12 to +0.72 pp"}.
 * '%' metrics in percentage points, '$' metrics in dollars, others with their unit, said once.
 */
export function effectWithInterval(v: number | null | undefined, i: Iv, unit: string): { value: string; interval: string } {
  if (unit === '$') {
    const cents = true;
    return {
      value: isNum(v) ? money(v, { signed: true, cents }) : DASH,
      interval: validIv(i) ? `${money(i.lower, { signed: true, cents })} to ${money(i.upper, { signed: true, cents })}` : DASH,
    };
  }
  const { scale, suffix } = diffUnit(unit);
  const figures = [v, i?.lower, i?.upper].filter(isNum).map((x) => Math.abs(x * scale));
  const d = decimalsFor(Math.max(0, ...figures));
  return {
    value: isNum(v) ? `${fixed(v * scale, d, true)}${suffix}` : DASH,
    interval: validIv(i) ? `${fixed(i.lower * scale, d, true)} to ${fixed(i.upper * scale, d, true)}${suffix}` : DASH,
  };
}

/** Relative changes (fractions) and their interval, as signed percents with the same decimals. */
export function relativeWithInterval(v: number | null | undefined, i: Iv): { value: string; interval: string } {
  return {
    value: percent(v, { signed: true }),
    interval: validIv(i) ? `${percent(i.lower, { signed: true })} to ${percent(i.upper, { signed: true })}` : DASH,
  };
}

export function percent(v: number | null | undefined, opts: { signed?: boolean; decimals?: number } = {}): string {
  if (!isNum(v)) return DASH;
  const d = opts.decimals ?? 2;
  return new Intl.NumberFormat('en-US', {
    style: 'percent',
    minimumFractionDigits: d,
    maximumFractionDigits: d,
    signDisplay: opts.signed ? 'exceptZero' : 'auto',
  }).format(v);
}

export function pValue(p: number | null | undefined): string {
  if (!isNum(p)) return DASH;
  if (p < 0.0001) return '< 0.0001';
  return p.toFixed(4);
}

export function number(v: number | null | undefined, opts: { signed?: boolean } = {}): string {
  if (!isNum(v)) return DASH;
  const abs = Math.abs(v);
  const f = new Intl.NumberFormat('en-US', {
    ...(abs >= 1000
      ? { maximumFractionDigits: 0 }
      : abs >= 1
        ? { minimumFractionDigits: 2, maximumFractionDigits: 2 }
        : { maximumSignificantDigits: 4 }),
    signDisplay: opts.signed ? 'exceptZero' : 'auto',
  });
  return f.format(v);
}

export function integer(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(v);
}

/** A metric's value in its own unit. */
export function metricValue(v: number | null | undefined, unit: string): string {
  if (!isNum(v)) return DASH;
  if (unit === '%') return percent(v);
  if (unit === '$') return money(v, { cents: true });
  return `${number(v)} ${unit}`.trim();
}

/** A difference of a metric, signed: percentage points for '%' metrics. */
export function metricDiff(v: number | null | undefined, unit: string): string {
  return effectWithInterval(v, null, unit).value;
}

const dateFmt = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric' });
const shortDateFmt = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', month: 'short', day: 'numeric' });
const dateTimeFmt = new Intl.DateTimeFormat('en-US', {
  timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false,
});

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function date(iso: string | null | undefined): string {
  const d = parse(iso);
  return d ? dateFmt.format(d) : DASH;
}

export function dateTime(iso: string | null | undefined): string {
  const d = parse(iso);
  return d ? `${dateTimeFmt.format(d)} UTC` : DASH;
}

/** Whole days in [start, end). */
export function days(startIso: string, endIso: string): number | null {
  const s = parse(startIso);
  const e = parse(endIso);
  if (!s || !e) return null;
  return Math.round((e.getTime() - s.getTime()) / 86_400_000);
}

/** "Jan 15 – Jan 29, 2025 (14 days)"; the end is exclusive, as the API's period is [start, end). */
export function period(startIso: string, endIso: string): string {
  const s = parse(startIso);
  const e = parse(endIso);
  if (!s || !e) return DASH;
  const n = days(startIso, endIso);
  const sameYear = s.getUTCFullYear() === e.getUTCFullYear();
  const left = sameYear ? shortDateFmt.format(s) : dateFmt.format(s);
  return `${left} – ${dateFmt.format(e)} (${n} ${n === 1 ? 'day' : 'days'})`;
}

/** Whole days of [start, end) already past at `now` (0 before the start, the duration after the end). */
export function daysElapsed(startIso: string, endIso: string, now: number): { elapsed: number; total: number } | null {
  const s = parse(startIso);
  const e = parse(endIso);
  if (!s || !e) return null;
  const total = Math.round((e.getTime() - s.getTime()) / 86_400_000);
  const elapsed = Math.min(total, Math.max(0, Math.floor((now - s.getTime()) / 86_400_000)));
  return { elapsed, total };
}

/** "3 minutes ago"-style text for recent timestamps, else the date. */
export function relativeTime(iso: string | null | undefined): string {
  const d = parse(iso);
  if (!d) return DASH;
  const secs = Math.round((Date.now() - d.getTime()) / 1000);
  if (secs < 0) return date(iso);
  if (secs < 45) return 'just now';
  if (secs < 3600) return `${Math.round(secs / 60)} min ago`;
  if (secs < 86_400) return `${Math.round(secs / 3600)} h ago`;
  return date(iso);
}

/** 'YYYY-MM-DD' of a Date in UTC. */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The priced unit in words: "point" for '%', "$1" for '$', else the unit in the singular. */
export function perUnit(unit: string): string {
  if (unit === '%') return 'point';
  if (unit === '$') return '$1';
  return unit.length > 3 && unit.endsWith('s') ? unit.slice(0, -1) : unit;
}

/** The default unit size of a unit: 0.01 for '%' (stored as fractions), 1 otherwise. */
export function defaultUnitSize(unit: string): number {
  return unit === '%' ? 0.01 : 1;
}

export function titleCase(s: string): string {
  return s.replace(/[_-]+/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
}
