/**
 * Matrix product by hand, as a Node developer writes it: three loops over row-major
 * Float32Arrays, ordered so the innermost loop walks memory with unit stride (no blocking, no
 * packing, no SIMD). The reference the bench measures the libraries against.
 *
 * Reads here use `!`: tsconfig's noUncheckedIndexedAccess types every typed-array read as
 * `number | undefined`, and the indices are in range by construction.
 */

/**
 * c (m×n) = op(a)·op(b), overwriting c. op(a) is m×k: a stored m×k, or k×m when transA (Aᵀ).
 * op(b) is k×n: b stored k×n, or n×k when transB (Bᵀ).
 */
export function gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  if (transB) {
    gemmDot(transA, m, n, k, a, b, c);
    return;
  }
  // i-p-j: c's row i stays hot while the rows of b stream past; the innermost loop runs along
  // a row of b and of c. Only how a[i][p] is found depends on transA (the middle loop reads a
  // column of the stored k×m matrix then, one element per row of b, which costs little).
  c.fill(0, 0, m * n);
  const aRowStep = transA ? 1 : k; // distance between a[i][p] and a[i+1][p]
  const aColStep = transA ? m : 1; // distance between a[i][p] and a[i][p+1]
  for (let i = 0; i < m; i++) {
    const cRow = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * aRowStep + p * aColStep]!;
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[cRow + j]! += aip * b[bRow + j]!;
    }
  }
}

/**
 * b stored n×k (A·Bᵀ): each c[i][j] is a dot product of a row of a with a row of b, both
 * contiguous, so i-j-p keeps the innermost loop unit-stride. With transA as well, a's column i
 * is strided; that case (Aᵀ·Bᵀ) is here for completeness, not speed.
 */
function gemmDot(transA: boolean, m: number, n: number, k: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const aRowStep = transA ? 1 : k;
  const aColStep = transA ? m : 1;
  for (let i = 0; i < m; i++) {
    const aRow = i * aRowStep;
    for (let j = 0; j < n; j++) {
      const bRow = j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[aRow + p * aColStep]! * b[bRow + p]!;
      c[i * n + j] = sum;
    }
  }
}
