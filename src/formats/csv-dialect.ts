/**
 * A CSV file's dialect, found from its first bytes when the config does not give it: the
 * delimiter (`,` `;` tab `|`) and the quote (`"` or `'`). Pure: text in, choice out.
 *
 * Each candidate splits the first lines (quotes respected, so a quoted delimiter or line break
 * does not count); the delimiter that gives the same number of fields, more than one, on the
 * most lines wins, then the one with the most fields; a file that no candidate splits stays
 * `,` (a one-column file). This is how DuckDB's and Python's sniffers decide, on fewer
 * candidates.
 */

export const DELIMITERS = [',', ';', '\t', '|'] as const;
const QUOTES = ['"', "'"] as const;
/** Lines of the head that are judged (a header and enough rows to see a pattern). */
const SAMPLE_LINES = 64;

export interface CsvDialect {
  readonly delimiter: string;
  readonly quote: string;
  /** How it was decided, for `ferry preview`. */
  readonly reason: string;
}

/** Field counts of the head's complete records, split by `delimiter` with `quote`. */
function fieldCounts(text: string, delimiter: string, quote: string): number[] {
  const counts: number[] = [];
  let fields = 1;
  let quoted = false;
  let atFieldStart = true;
  for (let i = 0; i < text.length && counts.length < SAMPLE_LINES; i++) {
    const char = text[i];
    if (quoted) {
      if (char === quote) {
        if (text[i + 1] === quote) i++;
        else quoted = false;
      }
      continue;
    }
    if (char === quote && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (char === delimiter) {
      fields++;
      atFieldStart = true;
    } else if (char === '\n') {
      counts.push(fields);
      fields = 1;
      atFieldStart = true;
    } else if (char !== '\r') atFieldStart = false;
  }
  return counts;
}

/** How well a split fits: lines agreeing with the header's field count, and that count. */
function score(counts: readonly number[]): { agreeing: number; fields: number } {
  const header = counts[0] ?? 1;
  if (header < 2) return { agreeing: 0, fields: header };
  return { agreeing: counts.filter((count) => count === header).length, fields: header };
}

/**
 * The dialect of a CSV file from its head (its first bytes, cut anywhere). Configured parts are
 * kept; a `.tsv` key's delimiter is a tab unless configured.
 */
export function sniffCsvDialect(head: string, configured: { readonly delimiter?: string; readonly quote?: string }, tsv: boolean): CsvDialect {
  if (configured.delimiter !== undefined && configured.quote !== undefined) {
    return { delimiter: configured.delimiter, quote: configured.quote, reason: 'source.csv' };
  }
  // Only whole lines are judged: the head may end inside one.
  const lastBreak = head.lastIndexOf('\n');
  const text = lastBreak >= 0 ? head.slice(0, lastBreak + 1) : `${head}\n`;
  const delimiters = configured.delimiter !== undefined ? [configured.delimiter] : tsv ? ['\t'] : DELIMITERS;
  const quotes = configured.quote !== undefined ? [configured.quote] : QUOTES;
  let best: { delimiter: string; quote: string; agreeing: number; fields: number } | null = null;
  for (const quote of quotes) {
    for (const delimiter of delimiters) {
      const counts = fieldCounts(text, delimiter, quote);
      const { agreeing, fields } = score(counts);
      if (agreeing === 0) continue;
      if (best === null || agreeing > best.agreeing || (agreeing === best.agreeing && fields > best.fields)) {
        best = { delimiter, quote, agreeing, fields };
      }
    }
    // `'` only when `"` split nothing better: apostrophes in text are far more common than
    // single-quoted fields.
    if (best !== null) break;
  }
  const delimiter = best?.delimiter ?? configured.delimiter ?? (tsv ? '\t' : ',');
  const quote = best?.quote ?? configured.quote ?? '"';
  const named = delimiter === '\t' ? 'tab' : `"${delimiter}"`;
  const reason =
    configured.delimiter !== undefined
      ? `delimiter from source.csv, quote ${quote} found in the first lines`
      : best === null
        ? `no delimiter splits the first lines: one column (delimiter ${named})`
        : `delimiter ${named} splits the first lines into ${best.fields} fields on ${best.agreeing} of them`;
  return { delimiter, quote, reason };
}
