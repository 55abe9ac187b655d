// One place for names in generated code: fresh temporaries never clash with user
// names, JavaScript reserved words, globals the code uses, or runtime imports.

const reservedWords = new Set(
  // ECMAScript reserved words, strict-mode reserved words and literals.
  (
    "break case catch class const continue debugger default delete do else enum export extends false " +
    "finally for function if import in instanceof new null return super switch this throw true try " +
    "typeof var void while with implements interface let package private protected public static " +
    "yield await arguments eval undefined NaN Infinity " +
    // Globals generated code refers to.
    "Math Float64Array Number Object Error globalThis"
  ).split(" "),
);

export function isReservedInGeneratedCode(name: string): boolean {
  return reservedWords.has(name);
}

/** Hands out unique identifiers within one scope. */
export class NameScope {
  private readonly taken = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const name of reserved) this.taken.add(name);
  }

  /** A unique identifier as close to `hint` as possible: `hint`, then `hint_2`, `hint_3`, ... */
  fresh(hint: string): string {
    const base = sanitize(hint);
    let name = base;
    for (let k = 2; this.taken.has(name) || reservedWords.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  /** A scope that starts with this one's names taken. */
  clone(): NameScope {
    return new NameScope(this.taken);
  }
}

function sanitize(hint: string): string {
  const cleaned = hint.replace(/[^\p{L}\p{N}_$]/gu, "_");
  return /^[\p{L}_$]/u.test(cleaned) ? cleaned : `_${cleaned}`;
}
