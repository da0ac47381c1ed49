import { DataError } from '../errors.js';

/**
 * Inverts a symmetric positive-definite n × n matrix (row-major Float64Array; only the lower triangle is
 * read) by Cholesky, A = L·Lᵀ, then A⁻¹ = L⁻ᵀ·L⁻¹. Every inner loop is a dot product over two contiguous
 * rows, which is what makes this fast in JS (≈ n³/2 multiply-adds). Returns a new full symmetric matrix;
 * `a` is overwritten with scratch. Throws DataError when the matrix is not positive definite.
 */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new DataError(`matrix has ${a.length} entries, expected ${n * n}`);
  // 1. Cholesky in place (lower triangle of a becomes L), left-looking: row dots over k < j
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let s = a[rj + j] - dot(a, rj, a, rj, j);
    if (!(s > 0)) throw new DataError(`matrix is not positive definite (pivot ${j} = ${s})`);
    s = Math.sqrt(s);
    a[rj + j] = s;
    const inv = 1 / s;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      a[ri + j] = (a[ri + j] - dot(a, ri, a, rj, j)) * inv;
    }
  }
  // 2. column j of L⁻¹ by forward substitution, stored as row j of wt (wt = L⁻ᵀ, upper triangular)
  const wt = new Float64Array(n * n);
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    x[j] = 1 / a[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      x[i] = -dot(a, ri + j, x, j, i - j) / a[ri + i];
    }
    wt.set(x.subarray(j, n), j * n + j);
  }
  // 3. A⁻¹[p][q] = Σ_{i ≥ max(p,q)} wt[p][i]·wt[q][i]; the result reuses a's storage
  for (let p = 0; p < n; p++) {
    const rp = p * n;
    for (let q = p; q < n; q++) {
      const rq = q * n;
      const s = dot(wt, rp + q, wt, rq + q, n - q);
      a[rp + q] = s;
      a[rq + p] = s;
    }
  }
  return a;
}

function dot(x: Float64Array, ox: number, y: Float64Array, oy: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += x[ox + k] * y[oy + k];
    s1 += x[ox + k + 1] * y[oy + k + 1];
    s2 += x[ox + k + 2] * y[oy + k + 2];
    s3 += x[ox + k + 3] * y[oy + k + 3];
  }
  for (; k < len; k++) s0 += x[ox + k] * y[oy + k];
  return s0 + s1 + s2 + s3;
}
