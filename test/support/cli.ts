import { runCli } from '../../src/cli/run-cli.js';

/** Runs the command-line tool in-process and captures what it prints. */
export async function cli(args: string[], env: Record<string, string | undefined>) {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: { write: (text: string) => (out += text) },
    err: { write: (text: string) => (err += text) },
    env: { ...process.env, ...env },
  });
  return { code, out, err };
}
