// How every in-cluster runtime program runs: validated environment (exit 2 when invalid), one structured log line
// for the outcome, exit 1 when the work fails.
import type { z } from 'zod';
import { createLogger, type Logger } from '../../../contracts/logging';

/** The program's variables, or an error listing every invalid one. */
export function parseProgramEnv<Schema extends z.ZodTypeAny>(schema: Schema, env: NodeJS.ProcessEnv): z.infer<Schema> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new Error(`invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export async function runInClusterProgram<Env>(
  name: string,
  parseEnv: (env: NodeJS.ProcessEnv) => Env,
  work: (env: Env, log: Logger) => Promise<void>,
): Promise<void> {
  const log = createLogger(name);
  let env: Env;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    log.error({ err: error }, 'bad configuration');
    process.exitCode = 2;
    return;
  }
  try {
    await work(env, log);
  } catch (error) {
    log.error({ err: error }, `${name} failed`);
    process.exitCode = 1;
  }
}
