/**
 * Reading another service's JSON answer without letting a dead or hung one hold the caller up.
 * @module
 */

/** The JSON body of a 2xx answer to GET `url`; undefined on any error, other status or timeout. */
export async function getJson(
  url: string,
  timeoutMs: number,
): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    return await response.json() as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
