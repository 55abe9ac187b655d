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
  /** The next suffix to try for each base, so a thousand `add`s do not probe `add_2` … each time. */
  private readonly nextSuffix = new Map<string, number>();

  /** Names taken in every scope of a module (its functions'), shared rather than copied into each. */
  private readonly outer: ReadonlySet<string>;

  constructor(
    reserved: Iterable<string> = [],
    nextSuffix?: ReadonlyMap<string, number>,
    outer: ReadonlySet<string> = new Set(),
  ) {
    for (const name of reserved) this.taken.add(name);
    if (nextSuffix !== undefined) for (const [base, k] of nextSuffix) this.nextSuffix.set(base, k);
    this.outer = outer;
  }

  private isTaken(name: string): boolean {
    return this.taken.has(name) || this.outer.has(name) || reservedWords.has(name);
  }

  /** A unique identifier as close to `hint` as possible: `hint`, then `hint_2`, `hint_3`, ... */
  fresh(hint: string): string {
    const base = sanitize(hint);
    let name = base;
    let k = this.nextSuffix.get(base) ?? 2;
    if (this.isTaken(name)) {
      for (name = `${base}_${k}`; this.isTaken(name); k++) name = `${base}_${k + 1}`;
      this.nextSuffix.set(base, k + 1);
    }
    this.taken.add(name);
    return name;
  }

  /** A scope that starts with this one's names taken. */
  clone(): NameScope {
    return new NameScope(this.taken, this.nextSuffix, this.outer);
  }
}

function sanitize(hint: string): string {
  const cleaned = hint.replace(/[^\p{L}\p{N}_$]/gu, "_");
  return /^[\p{L}_$]/u.test(cleaned) ? cleaned : `_${cleaned}`;
}
