/** Reading an optional setting from the environment, when the task was allowed to. */

/** The variable `name` if env access to it is granted and it is set, else `fallback`. */
export function setting(name: string, fallback: string): string {
  const granted = Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
  return granted ? Deno.env.get(name) || fallback : fallback;
}
