// Every write a person starts is idempotent: one Idempotency-Key per intent (the action and its
// input), reused when the same click arrives twice or is retried after a lost answer, dropped once the
// API has answered. A click while the same intent is in flight does nothing.
import { useCallback, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { ApiError } from '@ebb/api-client/browser';
import { newIdempotencyKey } from './session';

export interface ActionOptions<R> {
  /** query keys whose data the action changes */
  invalidate?: readonly (readonly unknown[])[];
  /** the sentence shown when it worked */
  done?: (result: R) => string;
  /** the title of the sentence shown when the API refused */
  failed?: string;
}

export interface Action<V, R> {
  run(input: V): Promise<R | undefined>;
  pending: boolean;
  error: Error | undefined;
}

/** True when the API answered (2xx or a 4xx refusal): a new attempt is a new intent. A 5xx or no answer keeps the key. */
const answered = (error: unknown) => error instanceof ApiError && error.status < 500;

export function useAction<V, R>(perform: (input: V, idempotencyKey: string) => Promise<R>, options: ActionOptions<R> = {}): Action<V, R> {
  const queryClient = useQueryClient();
  const keys = useRef(new Map<string, string>());
  const inFlight = useRef(new Set<string>());
  const [pending, setPending] = useState(0);
  const [error, setError] = useState<Error | undefined>(undefined);

  const run = useCallback(
    async (input: V) => {
      const intent = JSON.stringify(input ?? null);
      if (inFlight.current.has(intent)) return undefined;
      inFlight.current.add(intent);
      let key = keys.current.get(intent);
      if (!key) keys.current.set(intent, (key = newIdempotencyKey()));
      setPending((n) => n + 1);
      setError(undefined);
      try {
        const result = await perform(input, key);
        keys.current.delete(intent);
        if (options.done) notifications.show({ color: 'teal', message: options.done(result) });
        await Promise.all((options.invalidate ?? []).map((queryKey) => queryClient.invalidateQueries({ queryKey: [...queryKey] })));
        return result;
      } catch (caught) {
        if (answered(caught)) keys.current.delete(intent);
        const failure = caught instanceof Error ? caught : new Error(String(caught));
        setError(failure);
        notifications.show({ color: 'red', title: options.failed, message: failure.message });
        return undefined;
      } finally {
        inFlight.current.delete(intent);
        setPending((n) => n - 1);
      }
    },
    [perform, options, queryClient],
  );
  return { run, pending: pending > 0, error };
}
