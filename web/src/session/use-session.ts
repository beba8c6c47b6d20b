import { useEffect, useState } from 'react';
import { currentIdentity, currentToken, onSessionChange, type Identity } from './token-store';

/** The signed-in identity (null when signed out) and why the last session ended, if it ended by itself. */
export function useSession(): { identity: Identity | null; token: string | null; endedBecause: string | null } {
  const [state, setState] = useState(() => ({ identity: currentIdentity(), token: currentToken(), endedBecause: null as string | null }));
  useEffect(() => onSessionChange((reason) => setState({ identity: currentIdentity(), token: currentToken(), endedBecause: reason })), []);
  return state;
}
