import { z } from 'zod';

/** A configuration error names the variable and what is wrong with it. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
    /** every bad variable, the first one above included */
    readonly issues: readonly { variable: string; problem: string }[] = [{ variable, problem }],
  ) {
    super(issues.map((issue) => `${issue.variable}: ${issue.problem}`).join('; '));
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment with a zod object schema. Throws a ConfigError naming every bad variable
 * (the first as `variable`); use loadConfigOrExit in a service's main.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  // an empty variable counts as unset, so `FOO= npm start` falls back to the default
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const problem = issue.code === 'invalid_type' && cleaned[variable] === undefined ? 'is required but not set' : issue.message;
    return { variable, problem };
  });
  throw new ConfigError(issues[0].variable, issues[0].problem, issues);
}

/** loadConfig for a process's start: each bad variable prints one line, then it exits with code 1. */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  try {
    return loadConfig(schema, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const issue of error.issues) process.stderr.write(`config error: ${issue.variable} ${issue.problem}\n`);
    process.exit(1);
  }
}
