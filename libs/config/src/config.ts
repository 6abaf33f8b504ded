import { z } from 'zod';

/** A configuration error names the variable and what is wrong with it. */
export class ConfigError extends Error {
  constructor(readonly variable: string, readonly problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment with a zod object schema. Throws a ConfigError naming the first
 * bad variable; use loadConfigOrExit in a service's main.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  // an empty variable counts as unset, so `FOO= npm start` falls back to the default
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = issue.path.map(String).join('.') || '(environment)';
  const problem = issue.code === 'invalid_type' && cleaned[variable] === undefined ? 'is required but not set' : issue.message;
  throw new ConfigError(variable, problem);
}

/** loadConfig for a process's start: a bad variable prints one line and exits with code 1. */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`config error: ${error.variable} ${error.problem}\n`);
    process.exit(1);
  }
}
