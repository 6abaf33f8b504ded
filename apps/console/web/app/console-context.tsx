// The console's state shared by every page: the run-time config, who is signed in, and the typed
// client of each service carrying their token.
import { type ReactNode, createContext, useCallback, useContext, useMemo, useState } from 'react';
import { type EbbClient, typedClientAt } from '@ebb/api-client/browser';
import type { RuntimeConfig, Service } from './runtime-config';
import { type Session, forgetToken, keepToken } from './session';

interface ConsoleState {
  config: RuntimeConfig;
  session: Session | undefined;
  signIn(token: string): Session | undefined;
  signOut(): void;
  /** the typed client of one service, as the signed-in person */
  api(service: Service): EbbClient;
}

const ConsoleContext = createContext<ConsoleState | undefined>(undefined);

export function ConsoleProvider({ config, initial, children }: { config: RuntimeConfig; initial: Session | undefined; children: ReactNode }) {
  const [session, setSession] = useState(initial);
  const signIn = useCallback((token: string) => {
    const next = keepToken(token);
    if (next) setSession(next);
    return next;
  }, []);
  const signOut = useCallback(() => {
    forgetToken();
    setSession(undefined);
  }, []);
  const api = useCallback((service: Service) => typedClientAt(config.services[service], session?.token), [config, session]);
  const value = useMemo(() => ({ config, session, signIn, signOut, api }), [config, session, signIn, signOut, api]);
  return <ConsoleContext.Provider value={value}>{children}</ConsoleContext.Provider>;
}

export function useConsole(): ConsoleState {
  const state = useContext(ConsoleContext);
  if (!state) throw new Error('useConsole outside ConsoleProvider');
  return state;
}
