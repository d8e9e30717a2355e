/** The one function that puts a name into SQL: always quoted, embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  if (name.includes('\0')) throw new Error('identifiers cannot contain NUL');
  return `"${name.replace(/"/g, '""')}"`;
}
