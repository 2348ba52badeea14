/**
 * Command-line helpers the tasks share.
 * @module
 */

/**
 * `text` as a whole number from `min` to `max`; otherwise says what `--name` must be and exits
 * with 2, as a task given a bad option does.
 */
export function wholeNumberOption(
  name: string,
  text: string,
  min = 1,
  max = Number.POSITIVE_INFINITY,
): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? `of at least ${min}` : `from ${min} to ${max}`;
    console.error(`--${name} must be a whole number ${range}, got "${text}"`);
    Deno.exit(2);
  }
  return value;
}
