/** `postwire postback build|sign|send`: placeholder replaced below. */
export async function postbackCommand(_argv: readonly string[], _env: NodeJS.ProcessEnv): Promise<number> {
  console.error("postwire postback: not yet available");
  return 2;
}
