// The cdktf app: load and validate every environment (nothing is created or written if one is invalid),
// then compose the stacks of each environment.
import './stacks/fast-synth';
import { App } from 'cdktf';
import { ConfigError, loadEnvironments } from './config';
import { emulatorProfileFromEnvironment } from './config/emulator';
import { PlatformStack, platformStackName } from './stacks/platform-stack';
import { StreamingStack, streamingStackName } from './stacks/streaming-stack';

function main(): void {
  let environments;
  let emulator;
  try {
    environments = loadEnvironments(process.env);
    emulator = emulatorProfileFromEnvironment(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
    return;
  }

  // No construct stack traces in the metadata: they cost synth time and nobody reads them.
  const app = new App({ stackTraces: false });
  for (const environment of environments) {
    if (environment.target === 'aws') {
      new PlatformStack(app, platformStackName(environment.name), { environment, emulator });
    }
    // ---- streaming stacks: add `new StreamingStack(app, ...)` for every environment here ----
    new StreamingStack(app, streamingStackName(environment.name), { environment });
  }
  app.synth();
}

main();
