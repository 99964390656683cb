// The bench's one table: a row per figure, Ferry against bare, the ratio, the goal and whether it is met.
import { formatRatio, pairedRatios, summarize, type Summary } from './stats';

export type Unit = 'ms' | 'bytes' | 'count';

export type Goal =
  /** Ferry's statistic at most `atMost` times bare's (paired per round when both have the same count). */
  | { kind: 'ratio'; atMost: number; of: 'median' | 'p95' }
  /** Ferry's statistic at most bare's plus `atMost`, in the figure's unit. */
  | { kind: 'difference'; atMost: number; of: 'p95' }
  /** No bound to judge: the figure is stated (e.g. memory that must stay bounded). */
  | { kind: 'stated'; text: string };

/** One figure. Other figure producers (e.g. worker launch from the build) add rows of this type. */
export interface FigureRow {
  figure: string;
  unit: Unit;
  ferry: number[];
  bare: number[];
  /** range: median (min–max); percentiles: p50 and p95 with the sample count. */
  show: 'range' | 'percentiles';
  goal: Goal;
}

export interface Verdict {
  text: string;
  ratio: string;
  met: boolean | undefined;
}

const MB = 2 ** 20;

function formatValue(value: number, unit: Unit): string {
  if (unit === 'bytes') return `${Math.round(value / MB)} MB`;
  if (unit === 'ms') return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** The bare number in a range, without its unit, so "1.00–1.20" reads against "1.10 s". */
function formatBare(value: number, unit: Unit): string {
  return formatValue(value, unit).replace(/ (s|ms|MB)$/, '');
}

function formatCell(samples: number[], row: FigureRow): string {
  if (samples.length === 0) return '—';
  const s = summarize(samples);
  if (row.show === 'percentiles') return `p50 ${formatValue(s.p50, row.unit)}, p95 ${formatValue(s.p95, row.unit)} (n=${s.n})`;
  if (s.n === 1) return formatValue(s.median, row.unit);
  return `${formatValue(s.median, row.unit)} (${formatBare(s.min, row.unit)}–${formatBare(s.max, row.unit)})`;
}

function goalText(goal: Goal, unit: Unit): string {
  if (goal.kind === 'ratio') return `≤ ${goal.atMost}×`;
  if (goal.kind === 'difference') return `≤ bare + ${formatValue(goal.atMost, unit)} at ${goal.of}`;
  return goal.text;
}

export function judge(row: FigureRow): Verdict {
  const text = goalText(row.goal, row.unit);
  if (row.ferry.length === 0 || row.bare.length === 0) return { text, ratio: '—', met: undefined };
  const ferry = summarize(row.ferry);
  const bare = summarize(row.bare);
  if (row.goal.kind === 'difference') {
    const difference = ferry[row.goal.of] - bare[row.goal.of];
    const sign = difference >= 0 ? '+' : '−';
    return { text, ratio: `${sign}${formatValue(Math.abs(difference), row.unit)} at ${row.goal.of}`, met: difference <= row.goal.atMost };
  }
  const of = row.goal.kind === 'ratio' ? row.goal.of : 'median';
  const paired = row.show === 'range' && row.ferry.length === row.bare.length && row.ferry.length > 1;
  let ratio: number;
  let shown: string;
  if (paired) {
    const ratios: Summary = summarize(pairedRatios(row.ferry, row.bare));
    ratio = ratios[of];
    shown = `${formatRatio(ratio)} (${formatRatio(ratios.min).replace('×', '')}–${formatRatio(ratios.max).replace('×', '')})`;
  } else {
    ratio = ferry[of] / bare[of];
    shown = formatRatio(ratio);
  }
  // Judged on the ratio as printed, so a row never reads 1.05× and "no" against a goal of 1.05×.
  const met = row.goal.kind === 'ratio' ? Number(ratio.toFixed(2)) <= row.goal.atMost : undefined;
  return { text, ratio: shown, met };
}

export function renderTable(rows: FigureRow[], machine: string): string {
  const lines = ['| figure | Ferry | bare | ratio | goal | met? |', '|---|---|---|---|---|---|'];
  for (const row of rows) {
    const verdict = judge(row);
    const met = verdict.met === undefined ? '—' : verdict.met ? 'yes' : 'no';
    lines.push(`| ${row.figure} | ${formatCell(row.ferry, row)} | ${formatCell(row.bare, row)} | ${verdict.ratio} | ${verdict.text} | ${met} |`);
  }
  lines.push('', machine);
  return lines.join('\n');
}
