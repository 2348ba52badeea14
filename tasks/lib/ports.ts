/** Finding out, before starting anything, whether a port is already taken. */

/** Whether something already listens on `hostname:port`. */
export function isPortInUse(hostname: string, port: number): boolean {
  try {
    const listener = Deno.listen({ hostname, port });
    listener.close();
    return false;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return true;
    throw error;
  }
}
