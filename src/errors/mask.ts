/**
 * Values from data files stay in the ledger, the rejects tables and authenticated answers:
 * they can be personal data. Error messages quote them (PostgreSQL's `Failing row contains
 * (…)` and `Key (id)=(…)`, Polars' `could not parse "x"`, a freshness rule's newest value), so
 * what goes to logs and alert payloads is masked here.
 */
export function maskDataValues(message: string): string {
  return message
    .replace(/Failing row contains \(.*\)/g, 'Failing row contains (…)')
    .replace(/Key \(([^)]*)\)=\((?:[^()]|\([^()]*\))*\)/g, 'Key ($1)=(…)')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '"…"')
    .replace(/`[^`\n]*`/g, '`…`')
    .replace(/(^|[\s(=:,[])'(?:[^'\\\n]|\\.)*'/g, "$1'…'")
    .replace(/\bnewest [^);]*/g, 'newest …')
    .replace(/: \[[^\]\n]*\]/g, ': […]');
}
