/**
 * Python's text for numbers: what `json.dumps` prints for a value that `json.loads` read from a
 * given JSON number literal. Ints print as exact decimals; floats print as `repr(float)`: the
 * shortest digits that round-trip (the same digits JS picks), positional when the decimal exponent
 * is in [-4, 16), exponential otherwise, and always with `.0` when otherwise integral.
 */

/**
 * Python's printed text for a JSON number literal.
 * @param source a JSON number literal (already checked to be one)
 * @param isInteger whether Python reads it as an int (no fraction, no exponent)
 */
export function pyNumberText(source: string, isInteger: boolean): string {
  if (isInteger) {
    // Python's int('-0') is 0; every other integer literal is already its own canonical text.
    return source === '-0' ? '0' : source;
  }
  return pyFloatRepr(Number(source));
}

/** `repr(float)` in CPython (float_repr_style 'short'). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return 'Infinity';
  if (x === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() with no argument gives the shortest round-tripping digits, like repr.
  const expForm = x.toExponential();
  const ePos = expForm.indexOf('e');
  let mantissa = expForm.slice(0, ePos);
  const exponent = Number(expForm.slice(ePos + 1));
  let sign = '';
  if (mantissa.startsWith('-')) {
    sign = '-';
    mantissa = mantissa.slice(1);
  }
  const digits = mantissa.replace('.', '');
  if (exponent < -4 || exponent >= 16) {
    const frac = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const expAbs = Math.abs(exponent);
    return `${sign}${digits[0]}${frac}e${exponent < 0 ? '-' : '+'}${expAbs < 10 ? '0' : ''}${expAbs}`;
  }
  if (exponent < 0) {
    return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  const intLen = exponent + 1;
  if (digits.length <= intLen) {
    return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  }
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}
