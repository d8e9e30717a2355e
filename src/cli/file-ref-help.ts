/** How the commands that take a file version's id or key tell them apart (ledger/file-ref.ts has the rule). */
export const FILE_REF_HELP = "a number is an id when the ledger has that id, else a key; one that is both an id and another file's key is refused";
