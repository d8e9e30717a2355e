/**
 * Values from data files stay in the ledger, the rejects tables and authenticated answers:
 * they can be personal data. Error messages quote them (PostgreSQL's `Failing row contains
 * (…)`, `Key (id)=(…)` and `invalid input syntax for type integer: "x"`, Polars' ``could not
 * parse `x` `` and value lists, a freshness rule's newest value), so what goes to logs and
 * alert payloads is masked here.
 *
 * ferry's own words stay readable: column names (`column "zip"`, Polars' `at column 'zip'`),
 * type names (``as dtype `i64` ``, ``from `str` to `date` ``) and ferry's hints (`a check
 * { rule: 'cast', action: 'reject' }`) are set aside before quoted text is masked, and put back.
 */

/** Spans of ferry's own words, kept as they are. */
const KEPT = [
  /\bcolumns? "(?:[^"\\\n]|\\.)*"(?:(?:,| or| and) "(?:[^"\\\n]|\\.)*")*/g,
  /\b(?:at|in) column '[^'\n]*'/g,
  /\bas dtype `[^`\n]*`/g,
  /\b(?:from|to) `[^`\n]*`/g,
  /\{ rule: [^{}\n]*\}/g,
];

export function maskDataValues(message: string): string {
  const kept: string[] = [];
  // Placeholders no message holds (a private-use character and a number).
  let masked = message;
  for (const pattern of KEPT) {
    masked = masked.replace(pattern, (span) => {
      kept.push(span);
      return `\u{F8FF}${kept.length - 1}\u{F8FF}`;
    });
  }
  masked = masked
    .replace(/Failing row contains \(.*\)/g, 'Failing row contains (…)')
    .replace(/Key \(([^)]*)\)=\((?:[^()]|\([^()]*\))*\)/g, 'Key ($1)=(…)')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '"…"')
    .replace(/`[^`\n]*`/g, '`…`')
    .replace(/(^|[\s(=:,[])'(?:[^'\\\n]|\\.)*'/g, "$1'…'")
    .replace(/\bnewest [^);]*/g, 'newest …')
    .replace(/: \[[^\]\n]*\]/g, ': […]');
  return masked.replace(/\u{F8FF}(\d+)\u{F8FF}/gu, (_, index: string) => kept[Number(index)] ?? '');
}
