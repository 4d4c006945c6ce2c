// `npm run rotate -- <environment> <role>`: replaces a client role's SCRAM password (local/credential-rotation.ts).
// Prints one line naming what was rotated (never the password). Exit codes: 0 rotated, 1 failed, 2 bad arguments.
import { ConfigError } from '../contracts/config-error';
import { RotationUsageError, configuredEnvironments, parseRotationArguments, rotateCredential, type RotationRequest } from './credential-rotation';

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

async function main(args: string[]): Promise<number> {
  let request: RotationRequest;
  try {
    request = parseRotationArguments(args, configuredEnvironments());
  } catch (error) {
    if (error instanceof RotationUsageError || error instanceof ConfigError) {
      process.stderr.write(`rotate: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  process.stdout.write(`${await rotateCredential(request)}\n`);
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`rotate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(EXIT.failed);
  },
);
